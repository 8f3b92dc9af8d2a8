# neok2: every output is a file target that depends on its inputs.
#   make paper   venv + install + synthetic data + analysis + manuscript (HTML and PDF)
#   make test    venv + install + the whole test suite (doctests included)
# Real data: make paper DATA=path/to/data.csv   (.csv, .sav or .dta)

SHELL := /bin/bash
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.neok2-installed
STUDY ?= k2_neonates
SEED ?= 20200701
SPEC := src/neok2/studies/$(STUDY).yaml
SOURCES := $(shell find src/neok2 -name '*.py' -o -name '*.yaml' 2>/dev/null)

SYNTHETIC := synthetic/$(STUDY).csv
DATA ?= $(SYNTHETIC)
RESULTS_DIR := results
RESULTS := $(RESULTS_DIR)/results.json
MANUSCRIPT_DIR := manuscript
HTML := $(MANUSCRIPT_DIR)/_manuscript/index.html
PDF := $(MANUSCRIPT_DIR)/_manuscript/index.pdf
MANUSCRIPT_SOURCES := $(wildcard $(MANUSCRIPT_DIR)/*.qmd $(MANUSCRIPT_DIR)/_quarto.yml $(MANUSCRIPT_DIR)/*.bib $(MANUSCRIPT_DIR)/*.csl)

.PHONY: paper test lint format bench data results install clean clean-paper clean-data clean-all

# ------------------------------------------------------------------ environment
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[paper,dev]"
	@touch $@

install: $(STAMP)

# ------------------------------------------------------------------ data
$(SYNTHETIC): $(STAMP) $(SOURCES)
	@mkdir -p $(dir $@)
	$(BIN)/neok2 synth --study $(STUDY) --seed $(SEED) --out $@

data: $(SYNTHETIC)

# The results depend on which file DATA names, not only on its content.
$(RESULTS_DIR)/.data-source: FORCE
	@mkdir -p $(RESULTS_DIR)
	@echo "$(abspath $(DATA)) $(STUDY) $(SEED)" | cmp -s - $@ || echo "$(abspath $(DATA)) $(STUDY) $(SEED)" > $@

# Validation comes first, and an earlier results.json is removed before it: invalid data
# must stop the build with the validator's messages and leave nothing to render.
$(RESULTS): $(STAMP) $(DATA) $(SOURCES) $(RESULTS_DIR)/.data-source
	@rm -f $@
	$(BIN)/neok2 validate $(DATA) --study $(STUDY)
	$(BIN)/neok2 analyze $(DATA) --study $(STUDY) --seed $(SEED) --out $(RESULTS_DIR)

results: $(RESULTS)

# ------------------------------------------------------------------ manuscript
$(HTML) $(PDF) &: $(RESULTS) $(MANUSCRIPT_SOURCES)
	$(BIN)/neok2 render $(MANUSCRIPT_DIR)

paper: $(HTML) $(PDF)

# ------------------------------------------------------------------ checks
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(STAMP) $(RESULTS)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# ------------------------------------------------------------------ cleaning (tiered)
clean-paper:
	rm -rf $(MANUSCRIPT_DIR)/_manuscript $(MANUSCRIPT_DIR)/.build

clean: clean-paper
	rm -rf $(RESULTS_DIR)

clean-data: clean
	rm -f synthetic/*.csv

clean-all: clean-data
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

FORCE:
