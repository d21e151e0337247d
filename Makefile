# omniwheel developer entry points.  Needs Python >= 3.11 with the venv module
# (on Debian/Ubuntu: `apt-get install python3-venv`) and make.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   := examples/demo

.PHONY: demo test check lint typecheck unit clean venv

# Fail early, and say what to install, when the interpreter cannot make venvs.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: omniwheel needs Python >= 3.11; $(PYTHON) is older (set PYTHON=...)"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || \
	  { echo "error: $(PYTHON) has no working venv module."; \
	    echo "hint: on Debian/Ubuntu run: apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

venv: $(VENV)/.installed

# Lock the bundled example for the default platform matrix, sync it for this
# machine and import something through the synced environment.
demo: $(VENV)/.installed
	cd $(DEMO) && ../../$(BIN)/omniwheel lock
	cd $(DEMO) && ../../$(BIN)/omniwheel sync
	cd $(DEMO) && ../../$(BIN)/omniwheel run -- python -c "import attrs, numpy; print('demo import ok: attrs', attrs.__version__, 'numpy', numpy.__version__)"

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy --strict src tests

unit: $(VENV)/.test-installed
	$(BIN)/python -m pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
