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
	$(BIN)/python -m pytest

bench: install
	scripts/ensure-services
	$(BIN)/python benchmarks/ingest_throughput.py
	$(BIN)/python benchmarks/alert_delivery.py
	$(BIN)/python -m benchmarks.detection

clean:
	rm -rf $(VENV) telecare-data .pytest_cache
