# The two commands a newcomer runs: `make demo` and `make test`. Each sets up .venv first,
# idempotently (re-installs only when pyproject.toml changed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: browser screenshots assets demo test check lint typecheck imports definitions unit bench clean \
	setup diagrams fuzz openapi report-image

setup: $(STAMP) assets

# The web application's front end (GOV.UK Frontend, MOJ Frontend, cme's own few files),
# installed from package-lock.json by `npm ci` and copied into cme/web/static (not committed).
# Re-done only when the lock file or cme's own files change.
WEB_STATIC := cme/web/static
ASSETS := $(WEB_STATIC)/.built
NPM_GOVUK := node_modules/govuk-frontend/dist/govuk
NPM_MOJ := node_modules/@ministryofjustice/frontend/moj

assets: $(ASSETS)

$(ASSETS): package.json package-lock.json $(wildcard cme/web/assets_src/*)
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(WEB_STATIC)
	mkdir -p $(WEB_STATIC)/govuk $(WEB_STATIC)/moj $(WEB_STATIC)/cme $(WEB_STATIC)/images
	cp $(NPM_GOVUK)/govuk-frontend.min.css $(NPM_GOVUK)/govuk-frontend.min.js $(WEB_STATIC)/govuk/
	cp -R $(NPM_GOVUK)/assets/fonts $(WEB_STATIC)/fonts
	cp -R $(NPM_GOVUK)/assets/images/. $(WEB_STATIC)/images/
	cp $(NPM_GOVUK)/assets/manifest.json $(WEB_STATIC)/manifest.json
	cp $(NPM_MOJ)/moj-frontend.min.css $(NPM_MOJ)/moj-frontend.min.js $(WEB_STATIC)/moj/
	cp -R $(NPM_MOJ)/assets/images/. $(WEB_STATIC)/images/
	cp cme/web/assets_src/* $(WEB_STATIC)/cme/
	@touch $(ASSETS)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) assets
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

test: $(STAMP) assets browser check
	$(BIN)/python -m pytest

# Debian's chromium, which the browser tests (tests/browser, docs/browser-tests.md) drive through
# Playwright (never `playwright install`): installed with apt-get when it is missing and this
# runs as root (CI, a fresh machine); otherwise the browser tests skip and say why.
CHROMIUM ?= /usr/bin/chromium

browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "note: no $(CHROMIUM), and not root: the browser tests will skip (apt-get install chromium)"; \
	fi

# The README's screenshots (work list, case page, MASH view), taken by the acceptance story in
# chromium and written to docs/screenshots/*.png; the normal test run writes none.
screenshots: $(STAMP) assets browser
	CME_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q \
	  tests/browser/test_acceptance.py -k referral

# The hostile-input property tests (tests/properties, and the CLI fuzz in tests/reliability) at
# fuzz size: CME_FUZZ=1 raises each test's examples from CI size (tests/fuzzing.py) and lets
# hypothesis explore (not derandomised).
fuzz: $(STAMP)
	CME_FUZZ=1 $(BIN)/python -m pytest tests/properties tests/reliability/test_reliability_fuzz.py -q

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/workflows -q

diagrams: $(STAMP)
	$(BIN)/python -m cme.readme_diagrams

# The HTTP API's OpenAPI document kept in docs/openapi.json (a test fails when it drifts).
openapi: $(STAMP)
	$(BIN)/python -m cme.api.openapi

bench: $(STAMP)
	$(BIN)/python -m bench

# The README's picture of a monthly report (docs/screenshots/monthly-report.png): the report
# tests' fictional cases, rendered as HTML, photographed by headless chromium.
report-image: $(STAMP)
	$(BIN)/python -m tests.reports.report_image

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache node_modules $(WEB_STATIC)
