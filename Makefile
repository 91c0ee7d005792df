# Two entry points for a fresh machine (Debian, Python 3.11): `make demo` and `make test`.
# Both create .venv, install refarch with its dev tools, and install what it needs from Debian when missing (graphviz,
# Pango for the PDF; `make test` adds Chromium for review.html) and `make test` installs what the live NetBox of the
# tests needs (tests/netbox/README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint typecheck unit system-deps test-deps apt-packages clean goldens bench calibration netbox-deps netbox-up netbox-down netbox-dump

demo: $(STAMP) system-deps
	$(BIN)/refarch plan examples/dgx-h100-su.yaml -o bundles/dgx-h100-su --force
	@echo "open bundles/dgx-h100-su/review.pdf (or review.html, summary.md)"

test: $(STAMP) test-deps netbox-deps lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check refarch solvers tests bench
	$(BIN)/ruff format --check refarch solvers tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Two workers (the machine's cores); each starts its own live NetBox for the tests that need one (docs/decisions.md).
unit: $(STAMP)
	$(BIN)/pytest -q -n 2

goldens: $(STAMP)
	$(BIN)/pytest -q tests/test_golden.py --update-goldens

# Refit the shipped calibration on the reference measurements (refarch/perf/data/calibration.csv).
calibration: $(STAMP)
	cd refarch/perf/data && ../../../$(BIN)/refarch calibrate calibration.csv -o calibration.yaml --force

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# What refarch needs from Debian: graphviz's `dot` for the diagrams, Pango and a font for WeasyPrint's review.pdf.
# Installed with apt-get when we are root and something is missing; otherwise say how.
SYSTEM_PACKAGES = graphviz libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
# What the tests add: Debian's Chromium and ChromeDriver, which open review.html (tests/render/review).
TEST_PACKAGES = chromium chromium-driver

system-deps:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(SYSTEM_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(SYSTEM_PACKAGES) $(TEST_PACKAGES)"

apt-packages:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing with apt-get:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install -y" $$missing >&2; exit 1; \
	  fi; \
	fi

# The live NetBox the tests talk to (tests/netbox/live.py): apt-get postgresql and redis-server when missing (as root)
# and NetBox's own Python >= 3.12 venv under .netbox/, made once per machine.
netbox-deps: $(STAMP)
	$(BIN)/python -m tests.netbox.live install

# One for interactive use: URL, token and PIDs go to .netbox/state.json; `make netbox-down` stops it.
netbox-up: $(STAMP)
	$(BIN)/python -m tests.netbox.live up

netbox-down: $(STAMP)
	$(BIN)/python -m tests.netbox.live down

# Rewrite tests/netbox/netbox-<version>.dump after changing NETBOX_VERSION (migrates an empty database: 5-8 minutes).
netbox-dump: $(STAMP)
	$(BIN)/python -m tests.netbox.live dump

clean:
	rm -rf $(VENV) bundles build dist .pytest_cache .mypy_cache .ruff_cache
