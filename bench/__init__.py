"""Benchmarks of the platform's hot paths on a throwaway database (see ``bench/README.md``).

``bench/run.py``: logging in and opening the home page. ``bench/courses.py``: the catalogue,
course, lesson and home pages and the lesson heartbeat in a large world. Both take
``--db sqlite|postgres``; ``make bench`` runs both. ``bench/common.py`` holds what they share.
"""
