"""The xtquant (MiniQMT) source; see source.py for why xtquant itself is imported lazily."""

from marketdata.sources.xtquant.source import XtQuantSource, XtQuantSubscription

__all__ = ["XtQuantSource", "XtQuantSubscription"]
