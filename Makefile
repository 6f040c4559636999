VENV ?= .venv
PY = $(VENV)/bin/python
N ?= 10000 100000  # corpus sizes for `make speed`: make speed N="10000 100000 1000000"

.PHONY: install test lint bench accuracy speed index golden

install:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e '.[dev,bench]'

test:
	$(PY) -m pytest

lint:
	$(PY) -m ruff check dedup tests bench
	$(PY) -m mypy dedup

golden:
	DEDUP_UPDATE_GOLDEN=1 $(PY) -m pytest tests/test_golden.py

# The benchmarks (bench/README.md): each builds its corpus in bench/data/ first, from Debian documentation
# packages that only the benchmarks need (`apt-get install` lines in bench/README.md).
bench: accuracy speed index

accuracy:  # the differ on 240 typeset-and-extracted pairs (issue 3)
	$(PY) bench/diff_corpus.py && $(PY) bench/differ_accuracy.py

speed:  # dedup scan against datasketch and rensa, same files and threshold (issue 5)
	$(PY) bench/speed.py $(foreach n,$(N),--n $(n)) --json bench/data/results/speed.json

index:  # the persistent index: first scan, rescan after adding, rescan with nothing changed (issue 6)
	$(PY) bench/incremental.py --n 100000 --new 1000 --dups 200
