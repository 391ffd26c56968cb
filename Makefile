# Two commands matter: `make book` (build the executed HTML book) and `make test`.
# Both rebuild every page and execute every chapter (--all). Both create .venv and
# install the pinned requirements on first use; a second run reuses the venv and
# skips the install while requirements.txt and pyproject.toml are unchanged.

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

.PHONY: setup book test unit nbval book-strict browser chromium lab weights bench lint format clean

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml lab/overrides.json | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (gencore)" >/dev/null
	mkdir -p $(VENV)/share/jupyter/lab/settings && cp lab/overrides.json $(VENV)/share/jupyter/lab/settings/
	touch $(STAMP)

## book: execute every chapter and build the HTML book into _build/html.
## It builds what it can, then fails (exit 1) naming each chapter that did not execute.
book: setup
	@rm -rf $(HTML)/reports $(REPORTS)
	@$(BIN)/jupyter-book build . --all --keep-going; status=$$?; $(CHECK_REPORTS); \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	echo "The book is built: open $(abspath $(HTML))/index.html"

# Execution logs (*.err.log, with local paths) leave the published HTML for _build/reports;
# a chapter that failed to execute fails the target that built the book, naming the chapter.
REPORTS := _build/reports
define CHECK_REPORTS
if [ -d $(HTML)/reports ]; then mkdir -p $(REPORTS) && cp -r $(HTML)/reports/. $(REPORTS)/ && rm -rf $(HTML)/reports; fi; \
failed=$$(find $(REPORTS) -name '*.err.log' 2>/dev/null | sort); \
if [ -n "$$failed" ]; then \
  echo "" >&2; \
  echo "FAILED: these chapters did not execute; their pages stop at the error:" >&2; \
  for log in $$failed; do ch=$${log#$(REPORTS)/}; echo "  $${ch%.err.log}  (traceback: $$log)" >&2; done; \
  exit 1; \
fi
endef

## test: lint, unit tests, nbval on every chapter (scalar kernels), strict book build
## (native kernels), headless-browser check. Checks for Chromium first.
test: chromium setup lint unit nbval book-strict browser
	@echo "make test: all stages passed"

# The browser test needs Debian's chromium. As root with apt, install it (as .ci/run does);
# otherwise stop now, before minutes of work, with the command that installs it.
CHROMIUM_INSTALL := apt-get install -y --no-install-recommends chromium fonts-dejavu-core
chromium:
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== installing Debian's chromium for the browser test"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive $(CHROMIUM_INSTALL) || exit 1; \
	else \
	  echo "make test needs Chromium for the browser check, and there is none." >&2; \
	  echo "Install it, then run make test again:" >&2; \
	  echo "    sudo apt-get update && sudo $(CHROMIUM_INSTALL)" >&2; \
	  exit 1; \
	fi

unit: setup
	$(BIN)/python -m pytest -q tests --ignore=tests/test_browser.py --ignore=tests/test_lab.py

# Scalar kernels here, native ones in book-strict: every claim must hold on both paths.
nbval: setup
	ATEN_CPU_CAPABILITY=default $(BIN)/python -m pytest -q --nbval-lax --nbval-current-env book

book-strict: setup
	@rm -rf $(HTML)/reports $(REPORTS)
	@$(BIN)/jupyter-book build . --all -W -n --keep-going; status=$$?; $(CHECK_REPORTS); exit $$status

# The built book at 1280 and 400 px, then a chapter run in a real JupyterLab (tests/test_lab.py).
browser: setup
	$(BIN)/python -m pytest -q tests/test_browser.py tests/test_lab.py

## lab: open the chapters in JupyterLab (progress bars on). jupyterlab-myst (requirements.txt)
## renders the chapters' MyST: numbers ({eval}), equations and their references, glossary terms.
lab: setup
	GENCORE_PROGRESS=1 $(BIN)/jupyter lab book

## weights: retrain every shipped model from the config its recipe records
weights: setup
	GENCORE_PROGRESS=1 $(BIN)/python -m gencore train all --replace

## bench: time every chapter and run the benchmarks; writes _build/bench.json
bench: setup
	$(BIN)/python -m gencore bench --out _build/bench.json

## lint: ruff on the package and tests (120 columns) and on the chapters' code cells (book/ruff.toml: 88)
lint: setup
	$(BIN)/ruff check gencore tests book
	$(BIN)/ruff format --check gencore tests book

## format: ruff's safe fixes (import order, unused imports), then ruff format, on the same files as lint
format: setup
	$(BIN)/ruff check --fix --exit-zero gencore tests book
	$(BIN)/ruff format gencore tests book

clean:
	rm -rf _build
