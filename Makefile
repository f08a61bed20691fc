.PHONY: demo test lint bench

demo:
	./scripts/demo

test:
	./scripts/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

bench:
	.venv/bin/python bench/platform_bench.py
