# The two commands a newcomer runs: `make demo` and `make test`. Each sets up .venv first,
# idempotently (re-installs only when pyproject.toml changed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint typecheck imports definitions unit bench clean setup diagrams fuzz \
	report-image

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m cme.demo

check: lint typecheck imports definitions

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check engine workflows storage notifications cme

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

definitions: $(STAMP)
	@for f in workflows/*.yaml; do $(BIN)/cme workflow validate $$f || exit 1; done

test: $(STAMP) check
	$(BIN)/python -m pytest

# The hostile-input property tests (tests/properties, and the CLI fuzz in tests/reliability) at
# fuzz size: CME_FUZZ=1 raises each test's examples from CI size (tests/fuzzing.py) and lets
# hypothesis explore (not derandomised).
fuzz: $(STAMP)
	CME_FUZZ=1 $(BIN)/python -m pytest tests/properties tests/reliability/test_reliability_fuzz.py -q

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/workflows -q

diagrams: $(STAMP)
	$(BIN)/python -m cme.readme_diagrams

bench: $(STAMP)
	$(BIN)/python -m bench

# The README's picture of a monthly report (docs/screenshots/monthly-report.png): the report
# tests' fictional cases, rendered as HTML, photographed by headless chromium.
report-image: $(STAMP)
	$(BIN)/python -m tests.reports.report_image

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
