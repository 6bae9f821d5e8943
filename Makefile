# tinhgon: make setup | make run | make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo.db: | setup
	env -u TINHGON_DATABASE_URL $(BIN)/tinhgon demo

run: setup demo.db
	TINHGON_DATABASE_URL=sqlite:///demo.db $(BIN)/tinhgon summary --unit 004 --at 2025-06-30

test: setup
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo.db
