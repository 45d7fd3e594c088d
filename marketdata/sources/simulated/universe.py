"""The simulated universe: the spec's real names plus deterministic generated ones."""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import NormalDist

import numpy as np

from marketdata.sources.base import InstrumentInfo
from marketdata.symbols import Board, Kind, limit_ratio, market_of

_local = threading.local()


def rng(*parts: object) -> np.random.Generator:
    """A generator seeded from a stable hash of `parts` (never Python's salted hash()).

    Seeding a new Generator costs ~50 us, too slow for thousands of symbols per poll, so each
    thread reuses one PCG64 and sets its state: the result is valid until the thread's next call.
    """
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=32).digest()
    generator = getattr(_local, "generator", None)
    if generator is None:
        generator = _local.generator = np.random.Generator(np.random.PCG64(0))
    generator.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": int.from_bytes(digest[:16], "little"), "inc": int.from_bytes(digest[16:], "little") | 1},
        "has_uint32": 0,
        "uinteger": 0,
    }
    return generator


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """An instrument plus the parameters its price path is drawn with (hashed by identity: cache keys)."""

    info: InstrumentInfo
    market: str
    base_price: float  # CNY, the level the yearly anchors revert to
    volatility: float  # daily log-return standard deviation
    daily_volume: float  # typical shares per day
    ratio: Decimal | None  # daily limit ratio; None for indices
    anchor_spread: float  # standard deviation of the yearly anchors around base_price
    # Price units per CNY: 100 (the 0.01 grid of stocks; index levels to 0.01 point) or 1000 (the
    # 0.001 grid ETFs quote on). Every price of the source is an integer number of these units.
    scale: int = 100
    # The symbol whose draws drive the daily path and the year its anchors start: an ETF follows
    # the index it tracks (510300.SH moves with 000300.SH), everything else its own draws.
    path_key: str = ""
    path_start: int = 0
    index_price_per_share: float = 12.0  # an index's turnover: its volume times a typical constituent price

    @property
    def key(self) -> str:
        return self.path_key or self.info.symbol

    @property
    def first_year(self) -> int:
        return self.path_start or (self.info.list_date.year if self.info.list_date else 1991)

    @property
    def typical_turnover(self) -> float:
        """CNY a typical day trades: what the book's spread and depth follow."""
        return self.daily_volume * self.base_price

    @property
    def symbol(self) -> str:
        return self.info.symbol

    @property
    def has_book(self) -> bool:
        return self.info.kind != Kind.INDEX

    @property
    def has_actions(self) -> bool:
        return self.info.kind == Kind.STOCK


def _stock(symbol: str, name: str, full: str, board: Board, industry: str, sector: str, listed: date, total: int,
           free: int, price: float) -> tuple[InstrumentInfo, float]:  # fmt: skip
    return InstrumentInfo(symbol, name, full, board, Kind.STOCK, industry, sector, listed, total, free), price


def _other(
    symbol: str, name: str, kind: Kind, board: Board, listed: date, price: float
) -> tuple[InstrumentInfo, float]:
    return InstrumentInfo(symbol, name, name, board, kind, "", "", listed, None, None), price


# The mark every generated (invented) company's name and full name carries.
SYNTHETIC = "模拟"

FIXED: list[tuple[InstrumentInfo, float]] = [
    _stock(
        "000001.SZ",
        "平安银行",
        "平安银行股份有限公司",
        Board.SZ_MAIN,
        "银行",
        "金融业",
        date(1991, 4, 3),
        19405918198,
        19405546950,
        11.0,
    ),
    _stock(
        "000002.SZ",
        "万科A",
        "万科企业股份有限公司",
        Board.SZ_MAIN,
        "房地产开发",
        "房地产业",
        date(1991, 1, 29),
        11930709471,
        9716951677,
        8.0,
    ),
    _stock(
        "000858.SZ",
        "五粮液",
        "宜宾五粮液股份有限公司",
        Board.SZ_MAIN,
        "白酒",
        "制造业",
        date(1998, 4, 27),
        3881608005,
        3881524455,
        140.0,
    ),
    _stock(
        "600000.SH",
        "浦发银行",
        "上海浦东发展银行股份有限公司",
        Board.SH_MAIN,
        "银行",
        "金融业",
        date(1999, 11, 10),
        29352178996,
        29352178996,
        9.0,
    ),
    _stock(
        "600519.SH",
        "贵州茅台",
        "贵州茅台酒股份有限公司",
        Board.SH_MAIN,
        "白酒",
        "制造业",
        date(2001, 8, 27),
        1256197800,
        1256197800,
        1600.0,
    ),
    # Index levels are centred on their rounded 2024 year-end closes (上证指数 3351.76, 深证成指
    # 10414.61, 沪深300 3934.91, 创业板指 2141.60; 上证50, 科创50, 北证50 rounded): the simulation
    # stays in the range of the real levels instead of drifting to e.g. 2132 for 000001.SH.
    _other("000001.SH", "上证指数", Kind.INDEX, Board.SH_MAIN, date(1991, 7, 15), 3350.0),
    _other("399001.SZ", "深证成指", Kind.INDEX, Board.SZ_MAIN, date(1995, 1, 23), 10400.0),
    _other("000300.SH", "沪深300", Kind.INDEX, Board.SH_MAIN, date(2005, 4, 8), 3935.0),
    _other("000016.SH", "上证50", Kind.INDEX, Board.SH_MAIN, date(2004, 1, 2), 2650.0),
    _other("399006.SZ", "创业板指", Kind.INDEX, Board.SZ_MAIN, date(2010, 6, 1), 2140.0),
    _other("000688.SH", "科创50", Kind.INDEX, Board.SH_MAIN, date(2020, 7, 23), 1000.0),
    _other("899050.BJ", "北证50", Kind.INDEX, Board.BJ, date(2022, 11, 21), 1200.0),
    # ETFs: base prices are their index's level times the fund's unit ratio (price / index level).
    _other("510300.SH", "沪深300ETF", Kind.ETF, Board.SH_MAIN, date(2012, 5, 28), 3935.0 * 0.001015),
    _other("510050.SH", "上证50ETF", Kind.ETF, Board.SH_MAIN, date(2005, 2, 23), 2650.0 * 0.001),
    _other("159915.SZ", "创业板ETF", Kind.ETF, Board.SZ_MAIN, date(2011, 12, 9), 2140.0 * 0.001),
    _other("588000.SH", "科创50ETF", Kind.ETF, Board.SH_MAIN, date(2020, 11, 16), 1000.0 * 0.001),
    _other("159919.SZ", "沪深300ETF嘉实", Kind.ETF, Board.SZ_MAIN, date(2012, 5, 28), 3935.0 * 0.00103),
]

# What each named ETF tracks (it follows that index's daily path at its unit ratio).
ETF_TRACKS = {
    "510300.SH": "000300.SH",
    "510050.SH": "000016.SH",
    "159915.SZ": "399006.SZ",
    "588000.SH": "000688.SH",
    "159919.SZ": "000300.SH",
}
# Typical shares per day and the mean price per share of the turnover (CNY) of the named indices
# and ETFs: plausible 2024 magnitudes (e.g. 上证指数 some 3-5e10 shares and 4,000亿 CNY a day;
# 510300.SH some 5-10e8 shares), so index volumes are no longer 3-13x off the real ones.
_INDEX_VOLUME = {
    "000001.SH": (3.5e10, 11.0),
    "399001.SZ": (4.5e10, 12.0),
    "000300.SH": (1.5e10, 18.0),
    "000016.SH": (3.0e9, 20.0),
    "399006.SZ": (1.2e10, 20.0),
    "000688.SH": (1.5e9, 45.0),
    "899050.BJ": (6.0e8, 20.0),
}
_ETF_VOLUME = {"510300.SH": 7e8, "510050.SH": 4e8, "159915.SZ": 6e8, "588000.SH": 1.2e9, "159919.SZ": 1.5e8}
_INDEX_VOLATILITY = 0.010  # daily; real broad indices move about 1 % a day
_INDEX_ANCHOR_SPREAD = 0.04  # yearly anchors stay near the real level (stocks: 0.12)

# board -> (share of generated stocks, code prefixes, first listing day, typical price)
_BOARDS: dict[Board, tuple[float, tuple[str, ...], date, float]] = {
    Board.SH_MAIN: (0.40, ("600", "601", "603", "605"), date(1992, 1, 2), 12.0),
    Board.SZ_MAIN: (0.25, ("000", "001", "002", "003"), date(1992, 1, 2), 10.0),
    Board.CHINEXT: (0.18, ("300", "301"), date(2009, 10, 30), 20.0),
    Board.STAR: (0.12, ("688", "689"), date(2019, 7, 22), 35.0),
    Board.BJ: (0.05, ("430", "830", "870", "920"), date(2021, 11, 15), 10.0),
}
_FIRST = "华中东海金新天国恒长宏信安德汇鼎广浙江川湘粤京沪深北南西明星瑞康泰盛嘉隆永通伟凯创科联航"
_SECOND = "兴达源丰成泰华通发利远宇润晨光阳科力胜美亚正大元顺邦晟合博森"
# suffix -> (industry, sector)
_SUFFIXES = {
    "科技": ("软件开发", "信息技术"),
    "电子": ("消费电子", "信息技术"),
    "微电": ("半导体", "信息技术"),
    "通信": ("通信设备", "信息技术"),
    "医药": ("化学制药", "医药生物"),
    "生物": ("生物制品", "医药生物"),
    "能源": ("光伏设备", "电力设备"),
    "电气": ("电网设备", "电力设备"),
    "材料": ("新材料", "基础化工"),
    "化工": ("化学原料", "基础化工"),
    "重工": ("工程机械", "机械设备"),
    "精工": ("通用设备", "机械设备"),
    "汽车": ("汽车零部件", "汽车"),
    "食品": ("食品加工", "食品饮料"),
    "传媒": ("文化传媒", "传媒"),
    "环保": ("环境治理", "公用事业"),
    "电力": ("电力", "公用事业"),
    "物流": ("物流", "交通运输"),
    "建设": ("基础建设", "建筑装饰"),
    "矿业": ("工业金属", "有色金属"),
    "农业": ("种植业", "农林牧渔"),
    "纺织": ("纺织制造", "纺织服饰"),
    "证券": ("证券", "金融业"),
    "置业": ("房地产开发", "房地产业"),
}


# Shares traded on a typical day (the 2024 medians of ../shared/data's real daily bars).
_REAL_DAILY_VOLUME = {"000001.SZ": 1.2e8, "600000.SH": 4.2e7}


def build_universe(seed: int, size: int) -> list[Profile]:
    """`size` instruments: the fixed ones first, then generated stocks across the five boards."""
    fixed = [_profile(info, price, seed) for info, price in FIXED][:size]
    generated = _generate(seed, size - len(fixed)) if size > len(fixed) else []
    return fixed + generated


def _profile(info: InstrumentInfo, price: float, seed: int) -> Profile:
    draw = rng(seed, info.symbol, "profile")
    if info.kind == Kind.INDEX:
        typical, per_share = _INDEX_VOLUME.get(info.symbol, (1e10, 12.0))
        volume = typical * draw.uniform(0.8, 1.25)
        return Profile(info, market_of(info.symbol), price, _INDEX_VOLATILITY, volume, None, _INDEX_ANCHOR_SPREAD,
                       index_price_per_share=per_share)  # fmt: skip
    if info.kind == Kind.ETF:
        volume = _ETF_VOLUME.get(info.symbol, 3e8) * draw.uniform(0.8, 1.25)
        tracked = next((i for i, _ in FIXED if i.symbol == ETF_TRACKS.get(info.symbol)), None)
        first = tracked.list_date.year if tracked is not None and tracked.list_date else 0
        ratio = limit_ratio(info.board, info.kind, symbol=info.symbol)
        return Profile(info, market_of(info.symbol), price, _INDEX_VOLATILITY, volume, ratio, _INDEX_ANCHOR_SPREAD,
                       scale=1000, path_key=tracked.symbol if tracked else "", path_start=first)  # fmt: skip
    if info.symbol in _REAL_DAILY_VOLUME:
        volume, volatility = _REAL_DAILY_VOLUME[info.symbol] * draw.uniform(0.8, 1.25), 0.018
    else:
        # Large caps turn over a fraction of a percent of their float a day (the shared files'
        # banks: 0.14 % and 0.62 %); the former 0.3-2 % made the named stocks 3-13x too busy.
        volume = float(info.float_shares or 1e9) * draw.uniform(0.001, 0.006)
        volatility = 0.018
    ratio = limit_ratio(info.board, info.kind, is_st=info.is_st, symbol=info.symbol)
    return Profile(info, market_of(info.symbol), price, volatility, volume, ratio, 0.12)


def _generate(seed: int, count: int) -> list[Profile]:
    draw = np.random.default_rng(int.from_bytes(hashlib.blake2b(f"{seed}|universe".encode(), digest_size=8).digest()))
    taken = {info.symbol for info, _ in FIXED}
    names: set[str] = {info.name for info, _ in FIXED}
    boards = list(_BOARDS)
    weights = np.array([_BOARDS[b][0] for b in boards])
    picks = draw.choice(len(boards), size=count, p=weights / weights.sum())
    numbers = draw.random((count, 12))
    return [
        _generated_profile(draw, boards[int(board)], row, taken, names)
        for board, row in zip(picks, numbers.tolist(), strict=True)
    ]


def _pick(sequence: str | list[str] | tuple[str, ...], u: float) -> str:
    return sequence[int(u * len(sequence))]


def _generated_profile(draw: np.random.Generator, board: Board, u: list[float], taken: set[str],
                       names: set[str]) -> Profile:  # fmt: skip
    """One generated stock from twelve uniform numbers (fresh draws only on a code or name clash)."""
    _, prefixes, first_listing, typical = _BOARDS[board]
    market = "SH" if board in (Board.SH_MAIN, Board.STAR) else "BJ" if board == Board.BJ else "SZ"
    prefix = _pick(prefixes, u[0])
    symbol = f"{prefix}{int(u[1] * 10 ** (6 - len(prefix))):0{6 - len(prefix)}d}.{market}"
    while symbol in taken:
        symbol = f"{prefix}{int(draw.integers(0, 10 ** (6 - len(prefix)))):0{6 - len(prefix)}d}.{market}"
    taken.add(symbol)
    suffix = _pick(list(_SUFFIXES), u[2])
    name = _pick(_FIRST, u[3]) + _pick(_SECOND, u[4]) + suffix
    while name in names:
        name = _pick(_FIRST, draw.random()) + _pick(_SECOND, draw.random()) + suffix
    names.add(name)
    industry, sector = _SUFFIXES[suffix]
    is_st = board in (Board.SH_MAIN, Board.SZ_MAIN) and u[5] < 0.02
    # The generated codes may exist in reality: the names say they are invented (模拟 = simulated),
    # so no real company is given an invented name.
    shown = ("*ST" if u[6] < 0.5 else "ST") + SYNTHETIC + name[:2] if is_st else SYNTHETIC + name
    listed = first_listing + timedelta(days=int(u[7] * (date(2024, 6, 28) - first_listing).days))
    total = int(math.exp(math.log(8e8) + 0.9 * _normal(u[8]))) // 100 * 100 + 100_000_000
    free = int(total * (0.35 + 0.65 * u[9])) // 100 * 100
    price = min(max(math.exp(math.log(typical) + 0.6 * _normal(u[10])), 2.5), 400.0)
    info = InstrumentInfo(
        symbol,
        shown,
        f"{SYNTHETIC}{name}股份有限公司",
        board,
        Kind.STOCK,
        industry,
        sector,
        listed,
        total,
        free,
        is_st=is_st,
    )
    volume = free * (0.004 + 0.036 * u[11])
    volatility = (0.015 + 0.015 * u[11]) * (0.7 if is_st else 1.0)
    ratio = limit_ratio(board, Kind.STOCK, is_st=is_st)
    return Profile(info, market_of(symbol), price, volatility, volume, ratio, 0.3)


def _normal(u: float) -> float:
    """A standard normal quantile of a uniform number (keeps one uniform draw per field)."""
    return float(NormalDist().inv_cdf(min(max(u, 1e-9), 1 - 1e-9)))
