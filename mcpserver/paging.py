"""Agent-sized results: the cursor paging of core/paging.py (REST's /recorded_ticks pages the same way)."""

from core.paging import Page, decode_cursor, encode_cursor, paginate

__all__ = ["Page", "decode_cursor", "encode_cursor", "paginate"]
