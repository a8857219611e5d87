# Quick start: `make run` (set up, then watch ./inbox and serve the review app; the example documents go in at first), `make test` (set up, then all tests).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint bench train evaluate clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	test -d inbox || { mkdir -p inbox && cp examples/*.pdf examples/*.docx inbox/; }
	$(PY) -m docanalyzer run inbox

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q

bench: $(STAMP)
	for script in bench/bench_*.py; do $(PY) $$script || exit 1; done

train: $(STAMP)
	$(PY) -m docanalyzer train

evaluate: $(STAMP)
	$(PY) -m docanalyzer evaluate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
