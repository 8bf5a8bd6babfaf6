# Zabota: `make run` (set up everything and serve) and `make test` are all a new machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
Z      := $(BIN)/zabota
HOST   ?= 127.0.0.1
PORT   ?= 8000
TICKETS ?= 100000
# `make run` is the demo: mail (portal sign-in links, digests) is written to var/mail/ unless an
# EMAIL_BACKEND is configured.
run: export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend

.PHONY: run test lint format bench messages venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --quiet
	@touch $@

run: venv
	$(Z) migrate --noinput -v0
	$(Z) collectstatic --noinput -v0
	$(Z) demo --if-empty
	$(Z) run --host $(HOST) --port $(PORT)

test: venv
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy zabota benchmarks

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(Z) bench --tickets $(TICKETS)

# Translations: extract every marked string into zabota/locale/ru (keeping source locations),
# then compile the .mo files we ship. Needs GNU gettext (xgettext, msgmerge, msgfmt).
MESSAGES_IGNORE := --ignore='.venv/*' --ignore='var/*' --ignore='node_modules/*' \
	--ignore='tests/*' --ignore='benchmarks/*' --ignore='staticfiles/*'
messages: venv
	$(Z) makemessages -l ru $(MESSAGES_IGNORE)
	$(Z) compilemessages -l ru $(MESSAGES_IGNORE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
