# The verbs: `make run` brings the whole system up locally, `make test` runs
# every test. Both set up .venv from requirements.lock first.
VENV := .venv/bin

.PHONY: setup run demo test test-fast lint fmt generate schemas config-doc deploy-defs validate-deploy lock browser

setup:
	@./scripts/bootstrap.sh

run: setup
	$(VENV)/contactcenter up --demo

demo: setup
	$(VENV)/contactcenter demo

test: setup browser
	$(VENV)/pytest

browser:
	@./scripts/install-browser.sh

test-fast: setup
	$(VENV)/pytest -m "not integration and not e2e"

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy libs/common/src tools/cli/src services/*/src
	$(VENV)/mypy libs/common/tests services/*/tests tests conftest.py scripts
	$(VENV)/lint-imports

fmt: setup
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

generate: schemas config-doc deploy-defs

config-doc: setup
	$(VENV)/contactcenter config-doc

deploy-defs: setup
	$(VENV)/contactcenter deploy-defs

validate-deploy: setup
	$(VENV)/python scripts/validate_deploy.py

schemas: setup
	$(VENV)/contactcenter schemas

lock:
	$(VENV)/uv pip compile requirements-runtime.in -o requirements-runtime.lock --python-version 3.11
	$(VENV)/uv pip compile requirements.in -o requirements.lock --python-version 3.11
