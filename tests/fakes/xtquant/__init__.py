"""A fake `xtquant` package for tests (the real one is Windows-only and checks for updates on import).

Only `xtquant.xtdata` is modelled; see xtdata.py. Put tests/fakes on sys.path to use it.
"""
