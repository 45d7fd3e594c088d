"""Response shapes for the OpenAPI schema (documentation only; responses are built by marketdata.payloads)."""

from __future__ import annotations

from rest_framework import serializers


def _num(**kwargs: object) -> serializers.FloatField:
    return serializers.FloatField(**kwargs)  # type: ignore[arg-type]


class ProvenanceSchema(serializers.Serializer):
    source = serializers.CharField(help_text="the data source's name")  # type: ignore[assignment]
    simulated = serializers.BooleanField(help_text="true when the data is simulated, never real market data")
    as_of = serializers.CharField(allow_null=True, help_text="the data's own timestamp (ISO 8601 UTC)")
    replayed = serializers.BooleanField(
        required=False,
        help_text="present (true) only for a replayed simulated session: every timestamp is the replayed moment",
    )
    trading_day = serializers.DateField(
        required=False, help_text="with replayed or recorded: the trading day the data belongs to"
    )
    recorded = serializers.BooleanField(
        required=False, help_text="present (true) for ticks read back from the tick recorder's archive"
    )


class EnvelopeSchema(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    timestamp = serializers.CharField()
    source = ProvenanceSchema()  # type: ignore[assignment]
    cache_hit = serializers.BooleanField(required=False)
    cache_age_seconds = _num(allow_null=True, required=False, help_text="age of the oldest cached value served")
    degraded = serializers.CharField(
        required=False,
        help_text="present only while a shared cache level (Redis, the L3 table) is down: what is down and "
        "since when; the data is still true, served from the levels that answer and the source",
    )


class QuoteSchema(serializers.Serializer):
    """The spec's quote; `fields` may narrow it, so no property is required."""

    symbol = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    price = _num(required=False)
    # null where the source does not know them (never invented): no previous close, no amount.
    change = _num(required=False, allow_null=True)
    change_pct = _num(required=False, allow_null=True)
    volume = serializers.IntegerField(required=False)
    turnover = _num(required=False, allow_null=True)
    high = _num(required=False)
    low = _num(required=False)
    open = _num(required=False)
    prev_close = _num(required=False, allow_null=True)
    timestamp = serializers.CharField(required=False)


class LatestResponse(EnvelopeSchema):
    data = serializers.DictField(child=QuoteSchema(), help_text="keyed by symbol")  # type: ignore[assignment]
    response_time_ms = _num(help_text="measured time spent serving this request")


class BasicSchema(serializers.Serializer):
    """`fields` with the guide's names (price,volume,...) narrows it: only the symbol is always there."""

    symbol = serializers.CharField()
    name = serializers.CharField(required=False)
    price = _num(required=False)
    change = _num(allow_null=True, required=False)
    change_pct = _num(allow_null=True, required=False)
    volume = serializers.IntegerField(required=False)
    turnover = _num(allow_null=True, required=False)
    timestamp = serializers.CharField(required=False)


class LevelSchema(serializers.Serializer):
    price = _num()
    volume = serializers.IntegerField()


class OrderbookSchema(serializers.Serializer):
    """`fields=bid` or `ask` (the guide's names) keeps one side."""

    bids = LevelSchema(many=True, required=False)
    asks = LevelSchema(many=True, required=False)


class TradeSchema(serializers.Serializer):
    price = _num()
    volume = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=["buy", "sell", "neutral"])
    timestamp = serializers.CharField()


class FullSchema(serializers.Serializer):
    basic = BasicSchema(required=False)
    orderbook = OrderbookSchema(required=False)
    trades = TradeSchema(many=True, required=False)


class FullResponse(EnvelopeSchema):
    data = serializers.DictField(child=FullSchema(), help_text="keyed by symbol")  # type: ignore[assignment]
    response_time_ms = _num()


class BarSchema(serializers.Serializer):
    date = serializers.CharField(help_text="trading day, YYYY-MM-DD")
    time = serializers.CharField(required=False, help_text="intraday periods: the bar's end, ISO 8601 UTC")
    open = _num()
    high = _num()
    low = _num()
    close = _num()
    volume = serializers.IntegerField()
    turnover = _num(allow_null=True)
    change = _num(allow_null=True, help_text="close minus the previous bar's close; null without one")
    change_pct = _num(allow_null=True)


class AdjustmentSchema(serializers.Serializer):
    type = serializers.ChoiceField(choices=["none", "pre", "post"])
    applied = serializers.BooleanField(
        help_text="whether any symbol's prices were scaled; false when no corporate actions are known (raw bars)"
    )
    description = serializers.CharField(help_text="what was done, naming symbols without known corporate actions")
    anchor = serializers.DateField(
        allow_null=True, help_text="the adjust_anchor asked (factors as known that day); null: those known today"
    )
    anchor_dates = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text="keyed by symbol: pre, the latest ex-date used; post, the first; null without one",
    )
    factors_hash = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text="keyed by symbol: a short hash of the factors used (null: none), to check a reproduction",
    )


class HistoryResponse(EnvelopeSchema):
    data = serializers.DictField(child=BarSchema(many=True), help_text="keyed by symbol, oldest bar first")  # type: ignore[assignment]
    total_records = serializers.IntegerField()
    period = serializers.CharField()
    adjustment = AdjustmentSchema()
    response_time_ms = _num()


class InstrumentSchema(serializers.Serializer):
    symbol = serializers.CharField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    industry = serializers.CharField()
    sector = serializers.CharField()
    market = serializers.CharField(help_text="board, e.g. 深圳主板")
    list_date = serializers.CharField(allow_null=True)
    total_shares = serializers.IntegerField(allow_null=True)
    float_shares = serializers.IntegerField(allow_null=True)
    market_cap = _num(allow_null=True, help_text="latest price x total shares")
    pe_ratio = _num(allow_null=True, help_text="null when the source does not have it")
    pb_ratio = _num(allow_null=True)
    dividend_yield = _num(allow_null=True)


class InstrumentResponse(EnvelopeSchema):
    data = serializers.DictField(child=InstrumentSchema(), help_text="keyed by symbol")  # type: ignore[assignment]
    response_time_ms = _num()


class CalendarSchema(serializers.Serializer):
    trading_dates = serializers.ListField(child=serializers.CharField())
    total_days = serializers.IntegerField()
    holidays = serializers.ListField(child=serializers.CharField(), help_text="non-trading days, weekends included")


class CalendarResponse(EnvelopeSchema):
    data = CalendarSchema()  # type: ignore[assignment]


class RecordedTickSchema(QuoteSchema):
    seq = serializers.IntegerField(help_text="the tick's seq in the live stream (contiguous within its epoch)")
    trading_day = serializers.DateField()
    status = serializers.CharField(help_text="trading, suspended, limit_up, limit_down")
    simulated = serializers.BooleanField()
    simulated_time = serializers.CharField(required=False, help_text="a replayed session: the moment it shows")


class PagingSchema(serializers.Serializer):
    total_rows = serializers.IntegerField()
    offset = serializers.IntegerField()
    returned_rows = serializers.IntegerField()
    truncated = serializers.BooleanField()
    next_cursor = serializers.CharField(allow_null=True, help_text="pass as cursor for the next page; null: last")
    note = serializers.CharField()


class ArchiveWriterSchema(serializers.Serializer):
    writer = serializers.CharField(help_text="the recording process (host-pid-token)")
    recorded_from = serializers.CharField(allow_null=True, help_text="first moment recorded (exchange time)")
    recorded_through = serializers.CharField(
        allow_null=True, help_text="everything up to this moment is on disk (its last flush)"
    )
    closed = serializers.BooleanField(help_text="false: the writer crashed or is still recording")
    rows = serializers.IntegerField()
    lost_rows = serializers.IntegerField()
    flush_seconds = _num()


class ArchiveSchema(serializers.Serializer):
    trading_day = serializers.DateField()
    recorded = serializers.BooleanField(help_text="false: nothing was recorded on this day")
    writers = ArchiveWriterSchema(many=True)
    ends_at = serializers.CharField(allow_null=True, help_text="the latest recorded_through of any writer")
    note = serializers.CharField(required=False)


class RecordedTicksResponse(EnvelopeSchema):
    data = serializers.DictField(  # type: ignore[assignment]
        child=RecordedTickSchema(many=True), help_text="keyed by symbol, in the order the ingest accepted them"
    )
    total_records = serializers.IntegerField(help_text="ticks of the whole query (all pages)")
    paging = PagingSchema()
    archive = ArchiveSchema()
    response_time_ms = _num()


class CoverageGapSchema(serializers.Serializer):
    start = serializers.CharField(help_text="HH:MM, start of the first missing minute (exchange time)")
    to = serializers.CharField(help_text="HH:MM, end of the last missing minute (its 1-minute bar's stamp)")
    minutes = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["suspended", "not_recorded", "feed_down", "no_trade"])

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("start")  # `from` is a Python keyword
        return fields


class CoverageLedgerSchema(serializers.Serializer):
    trading_day = serializers.DateField()
    trading = serializers.BooleanField(help_text="false: the calendar says the market does not trade this day")
    expected_minutes = serializers.IntegerField(help_text="trading minutes expected (240 a full day; today: so far)")
    covered_minutes = serializers.IntegerField(help_text="minutes with at least one recorded tick")
    missing_minutes = serializers.IntegerField()
    pending_minutes = serializers.IntegerField(help_text="today's minutes that have not begun yet")
    ticks = serializers.IntegerField(help_text="recorded ticks of the day")
    gaps = CoverageGapSchema(many=True)
    by_reason = serializers.DictField(child=serializers.IntegerField(), help_text="missing minutes per reason")
    note = serializers.CharField(required=False)


class CoverageResponse(EnvelopeSchema):
    data = serializers.DictField(child=CoverageLedgerSchema(), help_text="keyed by symbol")  # type: ignore[assignment]
    archive = ArchiveSchema()
    response_time_ms = _num()
