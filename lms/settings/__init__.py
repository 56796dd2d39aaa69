"""Settings split by environment: base, dev (embedded default), test, production."""
