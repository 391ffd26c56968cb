# Two commands matter: `make book` (build the executed HTML book) and `make test`.
# Both create .venv and install the pinned requirements on first use; a second
# run reuses the venv and skips the install while requirements.txt and
# pyproject.toml are unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HTML   := _build/html

# The book and the tests run the chapters headless: no progress-bar widgets.
export GENCORE_PROGRESS ?= 0
export PYTHONDONTWRITEBYTECODE = 1
# Threads that spin while they wait make a busy 2-core machine many times slower.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: setup book test unit nbval book-strict browser lab weights bench lint clean

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (gencore)" >/dev/null
	touch $(STAMP)

## book: execute every chapter and build the HTML book into _build/html
book: setup
	$(BIN)/jupyter-book build . --keep-going
	@echo "The book is built: open $(abspath $(HTML))/index.html"

## test: unit tests, nbval on every chapter, strict book build, headless-browser check
test: setup unit nbval book-strict browser
	@echo "make test: all stages passed"

unit: setup
	$(BIN)/python -m pytest -q tests --ignore=tests/test_browser.py

nbval: setup
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env book

book-strict: setup
	$(BIN)/jupyter-book build . -W -n --keep-going

browser: setup
	$(BIN)/python -m pytest -q tests/test_browser.py

## lab: open the chapters in JupyterLab (progress bars on)
lab: setup
	GENCORE_PROGRESS=1 $(BIN)/jupyter lab book

## weights: retrain every shipped model from the config its recipe records
weights: setup
	GENCORE_PROGRESS=1 $(BIN)/python -m gencore train all

## bench: time every chapter and run the benchmarks; writes _build/bench.json
bench: setup
	$(BIN)/python -m gencore bench --out _build/bench.json

lint: setup
	$(BIN)/ruff check gencore tests
	$(BIN)/ruff format --check gencore tests

clean:
	rm -rf _build
