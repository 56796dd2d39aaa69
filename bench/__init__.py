"""Benchmark of the platform's hot paths: logging in and opening the home page.

Run ``.venv/bin/python bench/run.py --db sqlite|postgres``; see ``bench/README.md``.
"""
