# One place that knows how to set fanzha up. `make demo` and `make test` are the README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fanzha-installed

.PHONY: setup demo test bench clean
setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-packages.sh
	bash scripts/system-packages.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[spark,test]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/fanzha demo

test: setup
	$(PY) -m pytest -n 2 --dist loadgroup -q

bench: setup
	for b in benchmarks/[!_]*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) fanzha-data
