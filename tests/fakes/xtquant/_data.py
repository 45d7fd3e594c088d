"""Data of the fake `xtquant.xtdata` (see its docstring): real daily bars, minute bars built from them,
snapshots, instrument details, sectors and dividends, in the vendor's shapes."""

from __future__ import annotations

import csv
import itertools
import math
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE_DAYS = ("20241227", "20241230", "20241231")


def _noisy(value: float) -> float:
    """11.37 -> 11.370000000000001: the binary noise real prices carry."""
    return math.nextafter(value, math.inf)


def _ms(text: str) -> int:
    digits = text.ljust(14, "0")[:14]
    return int(datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI).timestamp() * 1000)


def _label(ms: int, daily: bool) -> str:
    local = datetime.fromtimestamp(ms / 1000, tz=SHANGHAI)
    return local.strftime("%Y%m%d" if daily else "%Y%m%d%H%M%S")


def _load_daily() -> dict[str, list[dict[str, float]]]:
    rows: dict[str, list[dict[str, float]]] = {}
    with Path(__file__).with_name("bars_1d.csv").open(newline="") as handle:
        for raw in csv.DictReader(handle):
            row = {key: float(value) for key, value in raw.items() if key != "code"}
            rows.setdefault(raw["code"], []).append(row)
    for series in rows.values():
        for before, row in itertools.pairwise(series):
            row["preClose"] = before["close"]
        series[0]["preClose"] = series[0]["open"]
    return rows


def _minutes_of(day: dict[str, float]) -> list[dict[str, float]]:
    """A 09:30 auction bar plus 240 bars stamped at their end, adding up to the day's bar."""
    label = _label(int(day["time"]), True)
    ends = [f"{label}093000"]
    for hour, minute in ((9, 30), (13, 0)):
        start = datetime(2000, 1, 1, hour, minute)
        ends += [f"{label}{(start + timedelta(minutes=i + 1)).strftime('%H%M%S')}" for i in range(120)]
    lots, amount = int(day["volume"]), day["amount"]
    auction_lots = lots // 20
    each = (lots - auction_lots) // 240
    bars: list[dict[str, float]] = []
    for i, end in enumerate(ends):
        share = auction_lots if i == 0 else each + (lots - auction_lots - 240 * each if i == 240 else 0)
        close = day["close"] if i == 240 else round(day["open"] + (day["close"] - day["open"]) * i / 240, 2)
        opened = day["open"] if i <= 1 else bars[-1]["close"]
        high = day["high"] if i == 60 else max(opened, close)
        low = day["low"] if i == 180 else min(opened, close)
        part = round(amount * share / lots, 2) if lots else 0.0
        bars.append({"time": _ms(end), "open": opened, "high": high, "low": low, "close": close, "volume": share,
                     "amount": part, "preClose": day["preClose"]})  # fmt: skip
    return bars


def _group(minutes: list[dict[str, float]], size: int) -> list[dict[str, float]]:
    """One day's minutes into `size`-minute bars; the auction bar stays on its own."""
    grouped, regular = minutes[:1], minutes[1:]
    for start in range(0, len(regular), size):
        chunk = regular[start : start + size]
        grouped.append({"time": chunk[-1]["time"], "open": chunk[0]["open"], "high": max(c["high"] for c in chunk),
                        "low": min(c["low"] for c in chunk), "close": chunk[-1]["close"],
                        "volume": sum(c["volume"] for c in chunk), "amount": round(sum(c["amount"] for c in chunk), 2),
                        "preClose": chunk[0]["preClose"]})  # fmt: skip
    return grouped


DAILY = _load_daily()
MINUTES = {code: [_minutes_of(day) for day in rows if _label(int(day["time"]), True) in MINUTE_DAYS]
           for code, rows in DAILY.items()}  # fmt: skip


def _snapshot(code: str) -> dict[str, Any]:
    last = DAILY[code][-1]
    close = last["close"]
    return {
        "time": _ms("20241231150003"), "lastPrice": _noisy(close), "open": last["open"], "high": _noisy(last["high"]),
        "low": last["low"], "lastClose": _noisy(last["preClose"]), "amount": last["amount"],
        "volume": int(last["volume"]), "pvolume": int(last["volume"]) * 100, "stockStatus": 3, "openInt": 15,
        "transactionNum": 37062, "lastSettlementPrice": last["preClose"], "settlementPrice": 0.0, "pe": 0.0,
        "askPrice": [_noisy(round(close + 0.01 * i, 2)) for i in range(1, 6)],
        "bidPrice": [_noisy(round(close - 0.01 * i, 2)) for i in range(0, 5)],
        "askVol": [10929, 12401, 6671, 4555, 6708], "bidVol": [2429, 7127, 7146, 9111, 12189],
        "volRatio": 0.0, "speed1Min": 0.0, "speed5Min": 0.0,
    }  # fmt: skip


def _limit(pre: float, ratio: float) -> float:
    """The exchanges round limit prices half up to the tick."""
    exact = Decimal(str(pre)) * (1 + Decimal(str(ratio)))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _detail(code: str, name: str, opened: str, pre: float, ratio: float, total: float, floating: float) -> dict:
    exchange, instrument = code.split(".")[1], code.split(".")[0]
    return {"ExchangeID": exchange, "InstrumentID": instrument, "InstrumentName": name, "ProductID": None,
            "ProductName": None, "ProductType": None, "ExchangeCode": instrument, "UniCode": instrument,
            "CreateDate": "0", "OpenDate": opened, "ExpireDate": 99999999, "TradingDay": "20241231",
            "PreClose": pre, "SettlementPrice": pre, "UpStopPrice": _limit(pre, ratio) if ratio else 0.0,
            "DownStopPrice": _limit(pre, -ratio) if ratio else 0.0, "FloatVolume": floating,
            "TotalVolume": total, "LongMarginRatio": None, "ShortMarginRatio": None, "PriceTick": 0.01,
            "VolumeMultiple": 1, "MainContract": 0, "LastVolume": 0, "InstrumentStatus": 0, "IsTrading": True,
            "IsRecent": False}  # fmt: skip


DETAILS = {
    "000001.SZ": _detail("000001.SZ", "平安银行", "19910403", DAILY["000001.SZ"][-1]["preClose"], 0.1,
                         19405918198.0, 19405546950.0),
    "600000.SH": _detail("600000.SH", "浦发银行", "19991110", DAILY["600000.SH"][-1]["preClose"], 0.1,
                         29352178996.0, 29352178996.0),
    "605999.SH": _detail("605999.SH", "*ST样本", "20200106", 2.0, 0.05, 120000000.0, 90000000.0),
    "000001.SH": _detail("000001.SH", "上证指数", "19901219", 3407.3283, 0.0, 0.0, 0.0),
}  # fmt: skip
SECTORS = {
    "SH": ["600000.SH", "605999.SH", "000001.SH", "110059.SH"],  # 110059.SH: a convertible bond
    "SZ": ["000001.SZ", "123001.SZ"],
    "BJ": [],
    "沪深A股": ["000001.SZ", "600000.SH", "605999.SH"],
}
# (ex-date, interest, stockBonus, stockGift, allotNum, allotPrice, dr); gugai is 0 throughout.
DIVIDENDS = {
    "000001.SZ": [("20230614", 0.285, 0.0, 0.0, 0.0, 0.0, 1.0235), ("20240614", 0.719, 0.0, 0.0, 0.0, 0.0, 1.0716),
                  ("20241010", 0.246, 0.0, 0.0, 0.0, 0.0, 1.0211)],
    "600000.SH": [("20230301", 0.0, 0.0, 0.0, 0.3, 8.0, 1.0),  # a rights issue only
                  ("20230721", 0.32, 0.0, 0.0, 0.0, 0.0, 1.0437), ("20240719", 0.414, 0.0, 0.0, 0.0, 0.0, 1.0553)],
    "605999.SH": [("20240520", 0.05, 0.0, 0.3, 0.0, 0.0, 1.3421)],
}  # fmt: skip
