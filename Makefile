# Two entry points for a fresh machine (Debian, Python 3.11): `make demo` and `make test`.
# Both create .venv, install refarch with its dev tools, and install graphviz's `dot` when missing; `make test` also
# installs what the live NetBox of the tests needs (tests/netbox/README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint typecheck unit system-deps clean goldens bench calibration netbox-deps netbox-up netbox-down netbox-dump

demo: $(STAMP) system-deps
	$(BIN)/refarch plan examples/dgx-h100-su.yaml -o bundles/dgx-h100-su --force
	@echo "open bundles/dgx-h100-su/summary.md"

test: $(STAMP) system-deps netbox-deps lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check refarch solvers tests bench
	$(BIN)/ruff format --check refarch solvers tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

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

# graphviz's `dot` renders the diagrams. Installed with apt-get when we are root; otherwise say how.
system-deps:
	@if ! command -v dot >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing graphviz (dot) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "graphviz's dot is missing; run: sudo apt-get install -y graphviz" >&2; exit 1; \
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
