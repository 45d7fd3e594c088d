"""Where the tests find files: relative to this checkout, never an absolute path."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKES = ROOT / "tests" / "fakes"


def shared_data() -> Path:
    """The real daily bars: `../shared/data` beside the checkout, else the copies in `tests/data`."""
    beside = ROOT.parent / "shared" / "data"
    return beside if beside.is_dir() else ROOT / "tests" / "data"
