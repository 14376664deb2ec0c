# Two commands matter: `make demo` and `make test`. Both install everything first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/telecare demo

test: install
	scripts/ensure-services
	scripts/ensure-chromium
	# One worker per core: the tests wait on brokers, databases and browsers much of the time, and
	# each has its own schema, SQLite file, topic prefix and ports, so they can run side by side.
	$(BIN)/python -m pytest -n auto

bench: install
	scripts/ensure-services
	$(BIN)/python benchmarks/ingest_throughput.py
	$(BIN)/python benchmarks/alert_delivery.py
	$(BIN)/python -m benchmarks.detection

clean:
	rm -rf $(VENV) telecare-data .pytest_cache
