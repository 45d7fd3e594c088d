# ruff: noqa: B006 - the mutable defaults are the vendor's signatures, kept exact
"""A fake `xtquant.xtdata`: the real signatures (250807.1.2, see SIGNATURES.txt) and return shapes.

Data: real daily bars of 000001.SZ and 600000.SH for 2023-2024 (bars_1d.csv, volume in lots, time
in epoch ms at Beijing midnight), 1m bars for the last three days built to add up to those days, a
level-1 snapshot per symbol at 2024-12-31 15:00:03, an ST stock at limit-up and an index. Prices
come out with binary noise (math.nextafter), as the real feed's do.

Test controls (module attributes): FAIL_CONNECT, SUBSCRIBE_REFUSED, HANG_SECONDS (get_full_tick
blocks that long, as a MiniQMT that stopped answering; RELEASE.set() ends the wait early), TICKS (edit to change what
get_full_tick returns), calls (every call), downloaded, subscriptions, hello_shown, connected_to,
push(datas), drop_connection().
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime
from typing import Any

import pandas as pd

from xtquant._data import (
    DAILY,
    DETAILS,
    DIVIDENDS,
    MINUTES,
    SECTORS,
    SHANGHAI,
    _group,
    _label,
    _ms,
    _snapshot,
)

CONNECT_ERROR = "无法连接xtquant服务，请检查QMT-投研版或QMT-极简版是否开启"
COLUMNS = ["time", "open", "high", "low", "close", "volume", "amount", "settelementPrice", "openInterest",
           "preClose", "suspendFlag"]  # fmt: skip
DIVID_COLUMNS = ["time", "interest", "stockBonus", "stockGift", "allotNum", "allotPrice", "gugai", "dr"]
KLINE_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "60m": 60}

enable_hello = True
data_dir = None

FAIL_CONNECT = False
HANG_SECONDS = 0.0
RELEASE = threading.Event()
SUBSCRIBE_REFUSED = False
hello_shown = False
connected_to: list[list[str]] = []
calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
downloaded: set[tuple[str, str]] = set()
subscriptions: dict[int, tuple[list[str], Any]] = {}

_client: _Client | None = None
_remembered: tuple[str, Any] | None = None
_next_seq = 0


class _Client:
    def __init__(self, address: str) -> None:
        self.address = address

    def is_connected(self) -> bool:
        return True


TICKS: dict[str, dict[str, Any]] = {code: _snapshot(code) for code in DAILY}
TICKS["605999.SH"] = {**_snapshot("600000.SH"), "lastPrice": 2.1, "open": 2.0, "high": 2.1, "low": 1.98,
                      "lastClose": 2.0, "volume": 51234, "pvolume": 5123400, "amount": 10517234.0,
                      "askPrice": [0.0] * 5, "askVol": [0] * 5, "bidPrice": [2.1, 2.09, 2.08, 2.07, 2.06]}  # fmt: skip
TICKS["000001.SH"] = {**_snapshot("600000.SH"), "lastPrice": 3351.7631, "open": 3399.5, "high": 3401.1,
                      "low": 3351.1, "lastClose": 3407.3283, "volume": 421453021, "askPrice": [0.0] * 5,
                      "bidPrice": [0.0] * 5, "askVol": [0] * 5, "bidVol": [0] * 5}  # fmt: skip


def _record(name: str, *args: Any, **kwargs: Any) -> None:
    calls.append((name, args, kwargs))


def push(datas: dict[str, dict[str, Any]] | None = None) -> None:
    """Deliver `datas` (default: every TICKS entry) to the subscriptions whose code list covers them."""
    source = TICKS if datas is None else datas
    for code_list, callback in list(subscriptions.values()):
        wanted = {code: copy.deepcopy(tick) for code, tick in source.items()
                  if code in code_list or code.rsplit(".", 1)[-1] in code_list}  # fmt: skip
        if wanted and callback is not None:
            callback(wanted)


def drop_connection() -> None:
    """Lose the server, as when MiniQMT exits: the next call fails, the one after reconnects."""
    global _client
    _client = None


def connect(ip="", port=None, remember_if_success=True):
    global _client, _remembered, hello_shown
    _record("connect", ip=ip, port=port)
    if _client is not None and _client.is_connected():
        return _client
    if ip and ip not in ("127.0.0.1", "localhost") and port is None:
        raise Exception("远程地址不支持仅输入IP")
    if isinstance(port, int):
        addresses = [f"{ip}:{port}"] if ip else [f"127.0.0.1:{port}", f"localhost:{port}"]
    else:
        addresses = ["127.0.0.1:58610"]
    connected_to.append(addresses)
    if FAIL_CONNECT:
        raise Exception(CONNECT_ERROR)
    _client = _Client(addresses[0])
    if remember_if_success:
        _remembered = (ip, port)
    hello_shown = hello_shown or enable_hello
    return _client


def reconnect(ip="", port=None, remember_if_success=True):
    disconnect()
    return connect(ip, port, remember_if_success)


def disconnect():
    global _client
    _client = None


def get_client():
    if _client is None:
        if _remembered is None or FAIL_CONNECT:
            raise Exception(CONNECT_ERROR)
        raise Exception("行情服务连接断开")
    return _client


def get_data_dir():
    return data_dir or "C:/userdata_mini/datadir"


def get_full_tick(code_list):
    _record("get_full_tick", code_list)
    get_client()
    if HANG_SECONDS:
        RELEASE.wait(HANG_SECONDS)
    codes = [c for item in code_list for c in (SECTORS.get(item, []) if "." not in item else [item])]
    return {code: copy.deepcopy(TICKS[code]) for code in codes if code in TICKS}


def _rows(code: str, period: str) -> list[dict[str, float]]:
    if period == "1d":
        return DAILY.get(code, [])
    if period in KLINE_MINUTES:
        size = KLINE_MINUTES[period]
        return [bar for day in MINUTES.get(code, []) for bar in (day if size == 1 else _group(day, size))]
    raise NotImplementedError(f"the fake models periods 1d and {', '.join(KLINE_MINUTES)}, not {period!r}")


def _frame(code: str, period: str, fields: list[str], start: str, end: str, count: int) -> pd.DataFrame:
    rows = _rows(code, period) if (code, period) in downloaded else []
    low, high = _ms(start) if start else 0, _ms(end.ljust(8, "0")) if end else 1 << 62
    if end and len(end) == 8:
        high += 86_399_999
    rows = [row for row in rows if low <= row["time"] <= high]
    rows = rows[-count:] if count > 0 else rows
    columns = fields or COLUMNS
    records = [{**row, "time": int(row["time"]), "settelementPrice": 0.0, "openInterest": 15, "suspendFlag": 0}
               for row in rows]  # fmt: skip
    index = [_label(int(row["time"]), period == "1d") for row in rows]
    return pd.DataFrame([{k: r[k] for k in columns} for r in records], index=index, columns=columns)


def get_market_data(
    field_list=[],
    stock_list=[],
    period="1d",
    start_time="",
    end_time="",
    count=-1,
    dividend_type="none",
    fill_data=True,
):
    frames = get_market_data_ex(field_list, stock_list, period, start_time, end_time, count, dividend_type, fill_data)
    fields = field_list or COLUMNS
    return {f: pd.DataFrame({code: frame[f] for code, frame in frames.items()}).T for f in fields}


def get_market_data_ex(
    field_list=[],
    stock_list=[],
    period="1d",
    start_time="",
    end_time="",
    count=-1,
    dividend_type="none",
    fill_data=True,
):
    _record("get_market_data_ex", field_list, stock_list, period=period, start_time=start_time, end_time=end_time,
            count=count, dividend_type=dividend_type, fill_data=fill_data)  # fmt: skip
    get_client()
    if dividend_type != "none":
        raise NotImplementedError("the fake serves unadjusted bars only (dividend_type='none')")
    return {code: _frame(code, period, list(field_list), str(start_time), str(end_time), count) for code in stock_list}


def get_local_data(
    field_list=[],
    stock_list=[],
    period="1d",
    start_time="",
    end_time="",
    count=-1,
    dividend_type="none",
    fill_data=True,
    data_dir=None,
):
    return get_market_data_ex(field_list, stock_list, period, start_time, end_time, count, dividend_type, fill_data)


def get_full_kline(
    field_list=[], stock_list=[], period="1m", start_time="", end_time="", count=1, dividend_type="none", fill_data=True
):
    return get_market_data_ex(field_list, stock_list, period, start_time, end_time, count, dividend_type, fill_data)


def subscribe_quote(stock_code, period="1d", start_time="", end_time="", count=0, callback=None):
    raise NotImplementedError("the fake models subscribe_whole_quote only")


def subscribe_quote2(stock_code, period="1d", start_time="", end_time="", count=0, dividend_type=None, callback=None):
    raise NotImplementedError("the fake models subscribe_whole_quote only")


def subscribe_whole_quote(code_list, callback=None):
    """Register and push the current snapshot from another thread, as the real client does."""
    global _next_seq
    _record("subscribe_whole_quote", code_list)
    get_client()
    if SUBSCRIBE_REFUSED:
        return -1
    _next_seq += 1
    subscriptions[_next_seq] = (list(code_list), callback)
    first = {code: tick for code, tick in TICKS.items() if code in code_list or code.rsplit(".", 1)[-1] in code_list}
    threading.Thread(target=push, args=(first,), daemon=True).start()
    return _next_seq


def unsubscribe_quote(seq):
    _record("unsubscribe_quote", seq)
    subscriptions.pop(seq, None)


def run():
    raise NotImplementedError("run() blocks forever in the real module")


def get_instrument_detail(stock_code, iscomplete=False):
    _record("get_instrument_detail", stock_code)
    get_client()
    detail = DETAILS.get(stock_code)
    return copy.deepcopy(detail) if detail else None


def get_instrument_detail_list(stock_list, iscomplete=False):
    _record("get_instrument_detail_list", stock_list)
    get_client()
    return {code: copy.deepcopy(DETAILS[code]) for code in stock_list if code in DETAILS}


def get_instrument_type(stock_code, variety_list=None):
    return {
        "stock": stock_code in DETAILS and not stock_code.startswith("000001.SH"),
        "index": stock_code == "000001.SH",
    }


def get_trading_dates(market, start_time="", end_time="", count=-1):
    _record("get_trading_dates", market, start_time=start_time, end_time=end_time)
    get_client()
    if market not in ("SH", "SZ"):
        return []
    days = sorted({int(row["time"]) for row in DAILY["600000.SH"]})
    low, high = _ms(start_time) if start_time else 0, _ms(end_time) if end_time else 1 << 62
    days = [day for day in days if low <= day <= high]
    return days[-count:] if count > 0 else days


def get_trading_calendar(market, start_time="", end_time=""):
    if market not in ("SH", "SZ"):
        raise Exception("暂不支持除SH,SZ以外市场的交易日历")
    return [_label(ms, True) for ms in get_trading_dates(market, start_time, end_time)]


def get_holidays():
    return ["20240101", "20240209", "20240212", "20240213", "20240214", "20240215", "20240216"]


def download_holiday_data(incrementally=True):
    return None


def get_market_last_trade_date(market):
    return get_trading_dates(market)[-1]


def compute_coming_trading_calendar(market, start_time="", end_time=""):
    return []


def download_history_data(stock_code, period, start_time="", end_time="", incrementally=None):
    _record("download_history_data", stock_code, period, start_time=start_time, end_time=end_time)
    get_client()
    downloaded.add((stock_code, period))


def download_history_data2(stock_list, period, start_time="", end_time="", callback=None, incrementally=None):
    result = {}
    for done, code in enumerate(stock_list, 1):
        download_history_data(code, period, start_time, end_time, incrementally)
        if callback is not None:
            callback({"finished": done, "total": len(stock_list), "stockcode": code, "message": ""})
        result[code] = {}
    return result


def get_stock_list_in_sector(sector_name, real_timetag=-1):
    _record("get_stock_list_in_sector", sector_name)
    get_client()
    return list(SECTORS.get(sector_name, []))


def get_sector_list():
    return list(SECTORS)


def download_sector_data():
    _record("download_sector_data")
    get_client()


def get_divid_factors(stock_code, start_time="", end_time=""):
    _record("get_divid_factors", stock_code)
    get_client()
    rows = DIVIDENDS.get(stock_code, [])
    data = [[_ms(day), *values[:5], 0.0, values[5]] for day, *values in rows]
    return pd.DataFrame(data, index=[day for day, *_ in rows], columns=DIVID_COLUMNS)


def get_period_list():
    return ["tick", "1m", "5m", "15m", "30m", "1h", "1d", "1w", "1mon", "1q", "1hy", "1y"]


def get_trading_period(stock_code):
    return [{"type": 0, "tradetime": "093000,113000,130000,150000"}]


def watch_xtquant_status(callback):
    return None


def timetag_to_datetime(timetag, format):
    return datetime.fromtimestamp(timetag / 1000, tz=SHANGHAI).strftime(format)


def datetime_to_timetag(datetime, format="%Y%m%d%H%M%S"):
    return float(_ms(datetime))


def get_markets():
    return {"SH": "上交所", "SZ": "深交所", "BJ": "北交所", "HK": "港交所", "IF": "中金所", "SF": "上期所",
            "DF": "大商所", "ZF": "郑商所", "GF": "广期所", "INE": "能源交易所", "SHO": "上证期权",
            "SZO": "深证期权", "BKZS": "板块指数"}  # fmt: skip


def get_financial_data(stock_list, table_list=[], start_time="", end_time="", report_type="report_time"):
    raise NotImplementedError("the fake has no financial data")


def download_financial_data(stock_list, table_list=[], start_time="", end_time="", incrementally=None):
    raise NotImplementedError("the fake has no financial data")


def download_financial_data2(stock_list, table_list=[], start_time="", end_time="", callback=None):
    raise NotImplementedError("the fake has no financial data")


def get_index_weight(index_code):
    raise NotImplementedError("the fake has no index weights")


def download_index_weight():
    raise NotImplementedError("the fake has no index weights")
