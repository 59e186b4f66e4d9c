# Diana: `make run` plays the story; `make test` runs the whole suite. Both bootstrap .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONTENT ?= content

.PHONY: run test lint fmt bench typecheck imports pytest clean help

help:
	@echo "make run    - install, migrate, publish content/ and play it (terminal chat; the bot when TELEGRAM_BOT_TOKEN is set)"
	@echo "make test   - ruff, mypy, import-linter and pytest"
	@echo "make lint   - ruff + diana lint on content/"
	@echo "make fmt    - format the code with ruff"
	@echo "make bench  - run the benchmarks in bench/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/diana db upgrade
	$(BIN)/diana publish $(CONTENT) --notes "make run"
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then $(BIN)/diana serve; else $(BIN)/diana chat; fi

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/diana lint $(CONTENT)

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@for b in bench/*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python "$$b" || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
