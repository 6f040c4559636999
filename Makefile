VENV ?= .venv
PY = $(VENV)/bin/python

.PHONY: install test lint bench golden

install:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e '.[dev]'

test:
	$(PY) -m pytest

lint:
	$(PY) -m ruff check dedup tests bench
	$(PY) -m mypy dedup

golden:
	DEDUP_UPDATE_GOLDEN=1 $(PY) -m pytest tests/test_golden.py

bench:
	$(PY) bench/diff_corpus.py && $(PY) bench/differ_accuracy.py
