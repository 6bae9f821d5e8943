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

run: setup
	@test -s demo.db || (rm -f demo.db demo.db-wal demo.db-shm && env -u TINHGON_DATABASE_URL $(BIN)/tinhgon demo)
	TINHGON_DATABASE_URL=sqlite:///demo.db $(BIN)/tinhgon summary --unit 004 --at 2025-06-30
	@TINHGON_DATABASE_URL=sqlite:///demo.db $(BIN)/tinhgon users create-demo
	@echo "Mở http://127.0.0.1:8000/ và đăng nhập: quan.longbien / tinhgon-demo (Ctrl+C để dừng)"
	TINHGON_DATABASE_URL=sqlite:///demo.db $(BIN)/tinhgon serve --host 127.0.0.1 --port 8000

test: setup
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo.db
