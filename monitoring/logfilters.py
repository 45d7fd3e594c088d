"""Keep secrets out of logs: API keys, bearer tokens and api_key query values are masked."""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    (re.compile(r"(ak_[0-9a-f]{8}_)[A-Za-z0-9_-]+"), r"\1***"),
    (re.compile(r"(?i)(bearer\s+)[^\s,;'\"]+"), r"\1***"),
    (re.compile(r"(?i)(x-api-key['\"]?\s*[:=]\s*['\"]?)[^\s,;'\"]+"), r"\1***"),
    # Not past a quote: uvicorn's WebSocket line quotes the path ("WebSocket /ws/...?api_key=...").
    (re.compile(r"(?i)(api_key=)[^&\s'\"]+"), r"\1***"),
)


# Every pattern above needs one of these (lower-cased) in the text: the access log's line for a
# query without them is not searched four times. ("api" alone would be in every /api/v1 line.)
_MARKERS = ("ak_", "bearer", "api-key", "api_key")


def redact(text: str) -> str:
    """`text` with every secret-looking value masked."""
    lowered = text.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_query(query: str) -> str:
    """A query string with its api_key value masked."""
    return redact(query) if query else query


class RedactSecretsFilter(logging.Filter):
    """Attached to every handler: rewrites the final message before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
