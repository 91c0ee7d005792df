# Two entry points for a fresh machine (Debian, Python 3.11): `make demo` and `make test`.
# Both create .venv, install refarch with its dev tools, and install graphviz's `dot` when missing.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint typecheck unit system-deps clean goldens bench calibration

demo: $(STAMP) system-deps
	$(BIN)/refarch plan examples/dgx-h100-su.yaml -o bundles/dgx-h100-su --force
	@echo "open bundles/dgx-h100-su/summary.md"

test: $(STAMP) system-deps lint typecheck unit

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

clean:
	rm -rf $(VENV) bundles build dist .pytest_cache .mypy_cache .ruff_cache
