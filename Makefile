# ketnghia-analysis — `make help` lists the targets.
# Every target is `python3 dev.py TARGET`: dev.py does the work, so that Windows, which has
# no make, runs exactly the same steps with `py dev.py TARGET` (README, "Windows and macOS").
PYTHON ?= python3
YEAR ?= 2024
DEV := $(PYTHON) dev.py

.DEFAULT_GOAL := help

.PHONY: help demo test test-slow lint format lab sample build report fuzz mc bench clean

help:
	@$(DEV) help

demo:
	@$(DEV) demo --year $(YEAR)

test:
	@$(DEV) test

test-slow:
	@$(DEV) test-slow

fuzz:
	@$(DEV) fuzz

mc:
	@$(DEV) mc

bench:
	@$(DEV) bench

lint:
	@$(DEV) lint

format:
	@$(DEV) format

lab:
	@$(DEV) lab

sample:
	@$(DEV) sample

build:
	@$(DEV) build

report:
	@$(DEV) report --year $(YEAR)

clean:
	@$(DEV) clean
