# neok2: every output is a file target that depends on its inputs.
#   make paper   venv + install + synthetic data + analysis + manuscript (HTML, PDF, DOCX)
#   make test    venv + install + the whole test suite (doctests included)
#   make twin    a shareable synthetic twin of DATA, with its utility and disclosure report
#   make validate  synthetic rebuilds from tables against the shipped real records
# Real data: make paper DATA=path/to/data.csv   (.csv, .sav or .dta)
# Your own paper: make paper DATA=path/to/data.csv MODE=author [COMPARE=1]

SHELL := /bin/bash
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.neok2-installed
STUDY ?= k2_neonates
SEED ?= 20200701
# Extra options of `neok2 analyze`, e.g. ANALYZE_OPTIONS="--simulations 1000"
ANALYZE_OPTIONS ?=
# STUDY is a shipped study's name (src/neok2/studies/NAME.yaml) or the path of your own spec
# (make paper STUDY=my_study.yaml DATA=my_records.csv); outputs are named after the file.
ifneq ($(filter %.yaml %.yml,$(STUDY)),)
SPEC := $(STUDY)
STUDY_NAME := $(basename $(notdir $(STUDY)))
else
SPEC := src/neok2/studies/$(STUDY).yaml
STUDY_NAME := $(STUDY)
endif
SOURCES := $(shell find src/neok2 -name '*.py' -o -name '*.yaml' 2>/dev/null)

SYNTHETIC := synthetic/$(STUDY_NAME).csv
DATA ?= $(SYNTHETIC)
# MODE=replication sets DATA beside the published report; MODE=author writes the author's own
# paper (every number from DATA); COMPARE=1 adds, in author mode, one marked section comparing
# DATA with the published study. DATA_SOURCE says what DATA is (never guessed from the file):
# synthetic for the cohort `make data` writes, real otherwise.
MODE ?= replication
ifeq ($(DATA),$(SYNTHETIC))
DATA_SOURCE ?= synthetic
else
DATA_SOURCE ?= real
endif
COMPARE ?= 0
ifeq ($(COMPARE),1)
COMPARE_OPTION := --compare-published
else
COMPARE_OPTION :=
endif
RESULTS_DIR := results
RESULTS := $(RESULTS_DIR)/results.json
MANUSCRIPT_DIR := manuscript
# The K2 study has its own article; any other study gets the generic one built from its spec
# (`neok2: articles:` in manuscript/_quarto.yml says the same to `neok2 render`).
ARTICLE ?= $(if $(filter k2_neonates,$(STUDY_NAME)),index,study)
HTML := $(MANUSCRIPT_DIR)/_manuscript/$(ARTICLE).html
PDF := $(MANUSCRIPT_DIR)/_manuscript/$(ARTICLE).pdf
DOCX := $(MANUSCRIPT_DIR)/_manuscript/$(ARTICLE).docx
MANUSCRIPT_OUTPUTS := $(MANUSCRIPT_DIR)/_manuscript
LOCK := .neok2-build.lock
MANUSCRIPT_SOURCES := $(wildcard $(MANUSCRIPT_DIR)/*.qmd $(MANUSCRIPT_DIR)/_quarto.yml $(MANUSCRIPT_DIR)/*.bib $(MANUSCRIPT_DIR)/*.csl)

.PHONY: paper paper-unlocked test lint format bench data results install twin validate clean clean-paper clean-data clean-all

# ------------------------------------------------------------------ environment
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[paper,dev]"
	@touch $@

install: $(STAMP)

# ------------------------------------------------------------------ data
$(SYNTHETIC): $(STAMP) $(SOURCES) $(SPEC)
	@mkdir -p $(dir $@)
	$(BIN)/neok2 synth --study $(STUDY) --seed $(SEED) --out $@ --force

data: $(SYNTHETIC)

# A STUDY that names no spec is one line from the Makefile, not Make's "No rule to make target".
ifeq ($(wildcard $(SPEC)),)
$(SPEC):
	@echo "neok2: error: STUDY=$(STUDY): no spec file $(SPEC); give a shipped study \
	($(basename $(notdir $(wildcard src/neok2/studies/*.yaml)))) or the path of a .yaml spec" >&2; \
	exit 2
endif

# A DATA file that is not the synthetic cohort has no rule: when it is missing, neok2 says so
# in one line instead of Make's "No rule to make target".
ifneq ($(DATA),$(SYNTHETIC))
$(DATA):
	@$(BIN)/neok2 validate $(DATA) --study $(STUDY)
endif

# The results depend on what DATA holds, not on its modification time: the stamp records the
# file's SHA-256 and the spec's with the study, seed, mode, data source, comparison and analysis options, and
# is rewritten only when one of them changes (a replacement file with an older date still
# rebuilds everything). It lives beside the results folder, not in it: `neok2 analyze`
# replaces that folder whole. The folder is Make's own output, so analyze gets --force (by
# hand, analyze refuses a folder holding files it did not write).
DATA_STAMP := .neok2-data-stamp
$(DATA_STAMP): $(DATA) $(SPEC) FORCE
	@stamp="$$(sha256sum < $(DATA) | cut -d' ' -f1) $$(sha256sum < $(SPEC) | cut -d' ' -f1) $(STUDY) $(SEED) $(MODE) $(DATA_SOURCE) $(COMPARE) $(ANALYZE_OPTIONS)"; \
	  echo "$$stamp" | cmp -s - $@ || echo "$$stamp" > $@

# Every earlier output is removed before validation, so that a failed build never leaves a
# manuscript, table or figure of other data behind; validation then gates the analysis.
$(RESULTS): $(STAMP) $(SOURCES) $(DATA_STAMP)
	@rm -rf $(RESULTS) $(RESULTS_DIR)/tables $(RESULTS_DIR)/figures $(MANUSCRIPT_OUTPUTS)
	$(BIN)/neok2 validate $(DATA) --study $(STUDY)
	$(BIN)/neok2 analyze $(DATA) --study $(STUDY) --seed $(SEED) --out $(RESULTS_DIR) --force \
	  --mode $(MODE) --data-source $(DATA_SOURCE) $(COMPARE_OPTION) $(ANALYZE_OPTIONS)

results: $(RESULTS)

# ------------------------------------------------------------------ manuscript
# The render refuses results made from another file than DATA; a failed render removes every
# output, not only the one Make was writing.
$(HTML) $(PDF) $(DOCX) &: $(RESULTS) $(MANUSCRIPT_SOURCES)
	@rm -rf $(MANUSCRIPT_OUTPUTS)
	$(BIN)/neok2 render $(MANUSCRIPT_DIR) --results $(RESULTS_DIR) --data $(DATA) \
	  || { rm -rf $(MANUSCRIPT_OUTPUTS); exit 1; }

# One build at a time in a checkout: a second `make paper` waits for the first to finish
# (then rebuilds if its DATA differs) instead of mixing two data sets.
paper:
	@flock --wait 1800 $(LOCK) $(MAKE) --no-print-directory paper-unlocked

paper-unlocked: $(HTML) $(PDF) $(DOCX)

# ------------------------------------------------------------------ synthetic twin of DATA
TWIN := twin/$(STUDY_NAME)_twin.csv

$(TWIN): $(STAMP) $(DATA_STAMP) $(SOURCES)
	@mkdir -p $(dir $@)
	$(BIN)/neok2 twin $(DATA) --study $(STUDY) --seed $(SEED) --out $@ --force

twin: $(TWIN)

# ------------------------------------------------------------------ rebuild from tables vs real
# Studies whose spec declares `microdata` (their real records ship in src/neok2/data): one CSV
# per study (a row per synthetic cohort) and a summary with one row per study (CSV, markdown).
VALIDATION_STUDIES := birthwt esoph
VALIDATION_SEEDS ?= 5
VALIDATION := $(VALIDATION_STUDIES:%=validation/%.csv)

validation/%.csv: src/neok2/data/%.csv $(STAMP) $(SOURCES)
	$(BIN)/neok2 rebuild-check $< --study $* --seed $(SEED) --seeds $(VALIDATION_SEEDS) \
	  --out $@ --force

validation/summary.csv validation/summary.md &: $(VALIDATION)
	$(BIN)/neok2 rebuild-check $(VALIDATION:%=--summary-of %) --out validation/summary.csv --force

validate: validation/summary.csv

# ------------------------------------------------------------------ checks
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
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
	rm -rf $(RESULTS_DIR) $(DATA_STAMP)

clean-data: clean
	rm -f synthetic/*.csv
	rm -rf validation

clean-all: clean-data
	rm -rf $(VENV) $(LOCK) .pytest_cache .mypy_cache .ruff_cache .hypothesis

FORCE:
