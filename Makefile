# Consult — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format typecheck security bench migrate demo messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	if [ -d locale ]; then $(BIN)/python manage.py compilemessages --ignore '.venv/*' -v 0; fi

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py loaddemo

## make run: virtualenv, install, migrate, demo data, serve on http://127.0.0.1:8000
run: $(STAMP) messages demo
	DJANGO_SETTINGS_MODULE=consult.settings.dev $(BIN)/python -m consult.server -b $(HOST) -p $(PORT) asgi:application

## make test: the whole suite (PostgreSQL / Redis when DATABASE_URL / REDIS_URL are set)
test: $(STAMP) messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make security: bandit over the application code, failing on any high-severity finding
security: $(STAMP)
	$(BIN)/bandit -q -r consult livechat drafts moderation -lll

typecheck: $(STAMP)
	$(BIN)/mypy consult livechat moderation drafts

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .test-media staticfiles
