# voicebot — the two commands of the README, and a few helpers.
#   make run    set up .venv and the speech models if needed, then talk to the bot (text simulator)
#   make test   set up .venv and the speech models if needed, then lint and run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: install run test lint pytest bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(VENV)/bin/voicebot models install
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/voicebot chat

test: install lint pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

pytest: install
	$(VENV)/bin/python -m pytest

bench: install
	$(VENV)/bin/voicebot bench slots --output bench/slots-sqlite.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

screenshots: install
	VOICEBOT_SCREENSHOTS=1 $(VENV)/bin/python -m pytest tests/console/test_browser.py -q
