# theratrial — every set-up step lives here; see README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
DEMO_DIR ?= demo-output

.PHONY: demo serve test check lint typecheck contracts bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

## demo: create .venv, install, run the main job on the embedded default (SQLite + bundled data)
demo: $(RUNTIME_STAMP)
	$(BIN)/theratrial demo --out $(DEMO_DIR)

## serve: the trial service on the embedded default (demo data in SQLite), on 127.0.0.1:8000
DEMO_DB := sqlite:///$(DEMO_DIR)/theratrial.sqlite
serve: $(RUNTIME_STAMP)
	@test -f $(DEMO_DIR)/theratrial.sqlite || $(BIN)/theratrial demo --out $(DEMO_DIR)
	@if ! $(BIN)/theratrial users list --db $(DEMO_DB) --json | grep -q '"admin"'; then \
	  umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(18))' > $(DEMO_DIR)/admin-password.txt; \
	  $(BIN)/theratrial users add admin --role admin --password-stdin --db $(DEMO_DB) < $(DEMO_DIR)/admin-password.txt; \
	  echo "user admin created; its password is in $(DEMO_DIR)/admin-password.txt"; \
	fi
	$(BIN)/theratrial serve --host 127.0.0.1 --port 8000 --db $(DEMO_DB)

## test: create .venv with the dev dependencies and run the whole suite
test: $(DEV_STAMP)
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

contracts: $(DEV_STAMP)
	$(BIN)/lint-imports

## check: ruff, mypy --strict, import contracts and the tests
check: lint typecheck contracts test

bench: $(DEV_STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
