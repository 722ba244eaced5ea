# ketnghia-analysis — `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
YEAR ?= 2024

.DEFAULT_GOAL := help

.PHONY: help demo test test-slow lint format lab sample build report fuzz bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name ketnghia --display-name "Python (ketnghia)" >/dev/null
	touch $(STAMP)

demo: $(STAMP) ## set up, generate sample returns if data/raw is empty, build, render reports
	@if [ -z "$$(find data/raw -mindepth 1 -not -name README.md -print -quit)" ]; then \
		echo "data/raw trống: tạo báo cáo mẫu TỔNG HỢP (synthetic) bằng 'ketnghia sample'"; \
		$(BIN)/ketnghia sample --out data/raw --broken; \
	else echo "data/raw đã có dữ liệu: dùng các tệp hiện có"; fi
	$(BIN)/ketnghia build --raw data/raw --out data/processed || [ $$? -eq 1 ]
	$(BIN)/ketnghia report --year $(YEAR) --all --processed data/processed --out reports

test: $(STAMP) ## set up if needed, lint, check the layering, and run the whole test suite (slow checks excluded)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not slow" -q -n 2 --dist loadfile

test-slow: $(STAMP) ## the slow checks (estimator coverage over many seeds)
	$(BIN)/python -m pytest -m slow -q

fuzz: $(STAMP) ## longer fuzzing of the cell reader and parsers
	KETNGHIA_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q tests/reading/test_fuzz.py

bench: $(STAMP) ## the benchmarks (ratios against baselines measured in the same run)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP) ## ruff lint and format check, the layering contract, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP) ## apply ruff formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: $(STAMP) ## open JupyterLab on the notebooks with the ketnghia kernel
	$(BIN)/jupyter lab notebooks/

sample: $(STAMP) ## (re)generate the synthetic sample returns into data/raw
	$(BIN)/ketnghia sample --out data/raw --broken

build: $(STAMP) ## build data/processed from data/raw
	$(BIN)/ketnghia build --raw data/raw --out data/processed

report: $(STAMP) ## render every report of YEAR (default 2024)
	$(BIN)/ketnghia report --year $(YEAR) --all

clean: ## remove the processed tables, the reports and the virtual environment (never data/raw)
	find data/processed reports -mindepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf $(VENV)
