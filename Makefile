# Helpdesk — the single entry point. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
ESLINT_DIR := tools/eslint
ESLINT_STAMP := $(ESLINT_DIR)/node_modules/.installed
WEB := services/gateway/src/helpdesk_gateway/web/static
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit test-e2e lint lint-web proto proto-check chart-check bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed ## Install the workspace into .venv (uv, from uv.lock)

run: install ## Start PostgreSQL, NATS, Redis and the seven services; Ctrl-C stops all
	$(PY) -m helpdesk_devstack run --config devstack.toml --var-dir var

# The chart check runs inside the suite (tests/contracts/test_chart.py), not twice.
test: install lint proto-check ## Run the whole suite: lint, unit, integration, contracts, chart, e2e
	$(PY) -m pytest

test-unit: install ## Everything but the end-to-end tests
	$(PY) -m pytest -m "not e2e"

test-e2e: install ## Only the end-to-end tests (all services as processes; the chart's pods)
	$(PY) -m pytest -m e2e tests/e2e tests/deploy

lint: install lint-web ## ruff, mypy (strict on source), import-linter contracts, ESLint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(foreach p,kit devstack zenlix identity tickets sla notify gateway realtime mailin portal,-p helpdesk_$(p))
	$(VENV)/bin/lint-imports

# ESLint comes from npm, at the versions tools/eslint/package-lock.json pins.
$(ESLINT_STAMP): $(ESLINT_DIR)/package.json $(ESLINT_DIR)/package-lock.json
	npm ci --prefix $(ESLINT_DIR) --no-audit --no-fund
	@touch $@

lint-web: $(ESLINT_STAMP) ## ESLint on the web interface's ES modules (needs node and npm)
	$(ESLINT_DIR)/node_modules/.bin/eslint --config $(ESLINT_DIR)/eslint.config.js --max-warnings 0 $(WEB)

proto: install ## Regenerate libs/proto from proto/
	$(PY) tools/gen_proto.py

proto-check: install ## Fail if libs/proto is not what proto/ generates
	$(PY) tools/gen_proto.py --check

chart-check: install ## Render the Helm chart with every value set and validate the manifests
	$(PY) tools/chart_check.py

bench: install ## Create-ticket load test against a fresh stack (see bench/README.md)
	$(PY) bench/create_tickets.py

clean: ## Remove the virtual environments and ESLint's node_modules (data in var/ is kept)
	rm -rf $(VENV) .tools $(ESLINT_DIR)/node_modules
