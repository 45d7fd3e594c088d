"""Symbols: the one place that validates `000001.SZ` and tells board and daily price limit.

Code prefixes by market (SSE, SZSE and BSE numbering rules):
- SH: 600/601/603/605 main board, 688/689 STAR, 000 indices (000001.SH 上证指数), 51x/56x/58x ETFs;
- SZ: 000/001/002/003 main board, 300/301 ChiNext, 399 indices, 159 ETFs;
- BJ: 43x/83x/87x/88x/92x stocks, 899 indices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

# ASCII digits only: \d would also take full-width (０-９) and other Unicode digits.
SYMBOL_RE = re.compile(r"^([0-9]{6})\.(SH|SZ|BJ)$")


class Market(models.TextChoices):
    SH = "SH", "上海证券交易所"
    SZ = "SZ", "深圳证券交易所"
    BJ = "BJ", "北京证券交易所"


class Board(models.TextChoices):
    SH_MAIN = "上海主板", "上海主板"
    SZ_MAIN = "深圳主板", "深圳主板"
    CHINEXT = "创业板", "创业板"
    STAR = "科创板", "科创板"
    BJ = "北交所", "北交所"


class Kind(models.TextChoices):
    STOCK = "stock", "股票"
    INDEX = "index", "指数"
    ETF = "etf", "ETF"


# (market, prefix) -> (board, kind); longest prefix wins.
_PREFIXES: dict[tuple[str, str], tuple[Board, Kind]] = {
    ("SH", "600"): (Board.SH_MAIN, Kind.STOCK),
    ("SH", "601"): (Board.SH_MAIN, Kind.STOCK),
    ("SH", "603"): (Board.SH_MAIN, Kind.STOCK),
    ("SH", "605"): (Board.SH_MAIN, Kind.STOCK),
    ("SH", "688"): (Board.STAR, Kind.STOCK),
    ("SH", "689"): (Board.STAR, Kind.STOCK),
    ("SH", "000"): (Board.SH_MAIN, Kind.INDEX),
    ("SH", "51"): (Board.SH_MAIN, Kind.ETF),
    ("SH", "56"): (Board.SH_MAIN, Kind.ETF),
    ("SH", "58"): (Board.SH_MAIN, Kind.ETF),
    ("SZ", "000"): (Board.SZ_MAIN, Kind.STOCK),
    ("SZ", "001"): (Board.SZ_MAIN, Kind.STOCK),
    ("SZ", "002"): (Board.SZ_MAIN, Kind.STOCK),
    ("SZ", "003"): (Board.SZ_MAIN, Kind.STOCK),
    ("SZ", "300"): (Board.CHINEXT, Kind.STOCK),
    ("SZ", "301"): (Board.CHINEXT, Kind.STOCK),
    ("SZ", "399"): (Board.SZ_MAIN, Kind.INDEX),
    ("SZ", "159"): (Board.SZ_MAIN, Kind.ETF),
    ("BJ", "43"): (Board.BJ, Kind.STOCK),
    ("BJ", "83"): (Board.BJ, Kind.STOCK),
    ("BJ", "87"): (Board.BJ, Kind.STOCK),
    ("BJ", "88"): (Board.BJ, Kind.STOCK),
    ("BJ", "92"): (Board.BJ, Kind.STOCK),
    ("BJ", "899"): (Board.BJ, Kind.INDEX),
}


def symbol_pattern() -> str:
    """One symbol that parse_symbol accepts, as a regular expression (ECMA and Python alike): a known
    prefix of its market, then digits to six, a dot and the market in any case. The OpenAPI schema
    states it, so that what the schema allows is exactly what the API accepts."""
    by_market: dict[str, list[str]] = {}
    for (market, prefix), _ in sorted(_PREFIXES.items()):
        by_market.setdefault(market, []).append(f"{prefix}[0-9]{{{6 - len(prefix)}}}")
    suffix = {market: "".join(f"[{ch}{ch.lower()}]" for ch in market) for market in by_market}
    return "(?:" + "|".join(f"(?:{'|'.join(codes)})\\.{suffix[m]}" for m, codes in by_market.items()) + ")"


_BOARD_LIMIT = {
    Board.SH_MAIN: Decimal("0.10"),
    Board.SZ_MAIN: Decimal("0.10"),
    Board.CHINEXT: Decimal("0.20"),
    Board.STAR: Decimal("0.20"),
    Board.BJ: Decimal("0.30"),
}
ST_LIMIT = Decimal("0.05")
ETF_LIMIT = Decimal("0.10")
GROWTH_ETF_LIMIT = Decimal("0.20")
# An ETF's daily limit is that of what it tracks: ±10 % for most, ±20 % for funds of ChiNext or
# STAR stocks (SSE numbers its STAR ETFs 588xxx; SZSE moved its ChiNext ETFs to ±20 % with the 2020
# ChiNext reform). A code does not say what a SZ fund tracks, so those are named here.
CHINEXT_ETFS = frozenset({"159915.SZ", "159949.SZ", "159952.SZ"})


class InvalidSymbol(ValueError):
    """A symbol that is malformed or whose code cannot belong to its market."""


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    symbol: str
    code: str
    market: str
    board: Board
    kind: Kind

    def limit_ratio(self, *, is_st: bool = False) -> Decimal | None:
        """Daily price-limit ratio; None for indices, which have no limit."""
        return limit_ratio(self.board, self.kind, is_st=is_st, symbol=self.symbol)


def tick_size(kind: str) -> Decimal | None:
    """The price grid: 0.01 CNY for stocks, 0.001 for ETFs (funds), none for index levels."""
    if kind == Kind.INDEX:
        return None
    return Decimal("0.001") if kind == Kind.ETF else Decimal("0.01")


def price_digits(symbol: str) -> int:
    """Decimals of a price of `symbol`: 3 on an ETF's 0.001 tick, else 2 (stocks; index levels)."""
    try:
        kind = parse_symbol(symbol).kind
    except InvalidSymbol:
        return 2
    return 3 if kind == Kind.ETF else 2


def limit_prices_decimal(
    prev_close: Decimal, ratio: Decimal, tick: Decimal = Decimal("0.01")
) -> tuple[Decimal, Decimal]:
    """(limit_up, limit_down) as the exchanges set them: prev_close × (1 ± ratio), halves rounded up to the tick."""
    up = (prev_close * (1 + ratio)).quantize(tick, rounding=ROUND_HALF_UP)
    down = (prev_close * (1 - ratio)).quantize(tick, rounding=ROUND_HALF_UP)
    return up, down


def limit_prices(prev_close: float, ratio: Decimal, tick: Decimal = Decimal("0.01")) -> tuple[float, float]:
    """(limit_up, limit_down) as the exchanges set them: prev_close × (1 ± ratio), halves rounded up
    to the tick (11.95 at 10% gives 13.15 and 10.76; float rounding gave 13.14 and 10.75; an ETF
    at 3.945 on its 0.001 tick gives 4.340 and 3.551)."""
    up, down = limit_prices_decimal(Decimal(str(prev_close)), ratio, tick)
    return float(up), float(down)


def limit_ratio(board: str, kind: str, *, is_st: bool = False, symbol: str = "") -> Decimal | None:
    """±10% main boards, ±20% ChiNext/STAR, ±30% BJ; ST ±5% on the main boards; ETFs ±10 %, or
    ±20 % for ChiNext/STAR ETFs (588xxx.SH and CHINEXT_ETFS; `symbol` tells them).

    ST stocks on ChiNext, STAR and BJ keep their board's limit: that is the exchanges' rule since
    the 2020 ChiNext reform, and it is what the real feed shows.
    """
    if kind == Kind.INDEX:
        return None
    if kind == Kind.ETF:
        growth = symbol.upper().startswith("588") or symbol.upper() in CHINEXT_ETFS
        return GROWTH_ETF_LIMIT if growth else ETF_LIMIT
    base = _BOARD_LIMIT[Board(board)]
    if is_st and board in (Board.SH_MAIN, Board.SZ_MAIN):
        return ST_LIMIT
    return base


def parse_symbol(text: str) -> SymbolInfo:
    """Validate one symbol and tell its market, board and kind."""
    symbol = text.strip().upper()
    match = SYMBOL_RE.match(symbol)
    if match is None:
        if any(not ch.isascii() for ch in symbol):
            raise InvalidSymbol(
                f"{text!r} has non-ASCII characters (full-width digits or dot?): type the symbol in ASCII, "
                "six digits, a dot and SH, SZ or BJ, e.g. 000001.SZ"
            )
        raise InvalidSymbol(f"{text!r} is not a symbol: use six digits, a dot and SH, SZ or BJ, e.g. 000001.SZ")
    code, market = match.groups()
    for length in (3, 2):
        entry = _PREFIXES.get((market, code[:length]))
        if entry is not None:
            board, kind = entry
            return SymbolInfo(symbol=symbol, code=code, market=market, board=board, kind=kind)
    raise InvalidSymbol(f"{symbol}: code {code} does not belong to market {market}")


def parse_symbols(text: str, *, maximum: int) -> list[str]:
    """A comma list of symbols: validated, upper-cased, duplicates folded, order kept."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise InvalidSymbol("symbols is empty: give one or more symbols separated by commas, e.g. 000001.SZ,600000.SH")
    symbols = list(dict.fromkeys(parse_symbol(item).symbol for item in items))
    if len(symbols) > maximum:
        raise InvalidSymbol(f"{len(symbols)} symbols asked; at most {maximum} per request, split the list")
    return symbols


def market_of(symbol: str) -> str:
    return symbol.rsplit(".", 1)[1]
