"""Queries and response shapes of the node-to-node endpoints (marketdata/views/nodes.py)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from marketdata.schemas import EnvelopeSchema, LevelSchema, TradeSchema, _num
from marketdata.selectors.nodes import ACTIONS_MAX_SYMBOLS, INSTRUMENTS_PAGE_MAX, TICKS_MAX_SYMBOLS, TRADES_MAX
from marketdata.serializers import SymbolsField, _PatternSchema
from marketdata.sources.base import TickStatus
from marketdata.symbols import InvalidSymbol, parse_symbol, symbol_pattern


class SymbolField(serializers.CharField):
    """One symbol such as 000001.SZ (the schema states the pattern parse_symbol accepts)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema_pattern = rf"^\s*{symbol_pattern()}\s*$"

    def to_internal_value(self, data: Any) -> str:
        try:
            return parse_symbol(str(super().to_internal_value(data))).symbol
        except InvalidSymbol as exc:
            raise serializers.ValidationError(str(exc)) from exc


class InstrumentsQuery(serializers.Serializer):
    after = SymbolField(required=False, help_text="cursor: the `next` of the previous page (omit for the first)")
    symbols = SymbolsField(
        maximum=INSTRUMENTS_PAGE_MAX, required=False, help_text="only these; unknown ones are left out"
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=INSTRUMENTS_PAGE_MAX, default=500, help_text=f"page size, 1..{INSTRUMENTS_PAGE_MAX}"
    )


class TicksQuery(serializers.Serializer):
    symbols = SymbolsField(maximum=TICKS_MAX_SYMBOLS)


class TradesQuery(serializers.Serializer):
    symbol = SymbolField(help_text="one symbol such as 000001.SZ")
    limit = serializers.IntegerField(
        min_value=1, max_value=TRADES_MAX, default=20, help_text=f"most recent trades, 1..{TRADES_MAX}"
    )


class ActionsQuery(serializers.Serializer):
    symbols = SymbolsField(maximum=ACTIONS_MAX_SYMBOLS)


class NodeEnvelope(EnvelopeSchema):
    response_time_ms = _num(help_text="measured time spent serving this request")


class InstrumentInfoSchema(serializers.Serializer):
    symbol = serializers.CharField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    board = serializers.CharField()
    kind = serializers.CharField()
    industry = serializers.CharField()
    sector = serializers.CharField()
    list_date = serializers.CharField(allow_null=True)
    total_shares = serializers.IntegerField(allow_null=True)
    float_shares = serializers.IntegerField(allow_null=True)
    is_st = serializers.BooleanField()
    status = serializers.CharField()
    pe_ratio = _num(allow_null=True)
    pb_ratio = _num(allow_null=True)
    dividend_yield = _num(allow_null=True)


class InstrumentPageSchema(serializers.Serializer):
    instruments = InstrumentInfoSchema(many=True)
    total = serializers.IntegerField(help_text="instruments the source knows")
    next = serializers.CharField(allow_null=True, help_text="pass as `after` for the next page; null on the last")


class InstrumentsResponse(NodeEnvelope):
    data = InstrumentPageSchema()  # type: ignore[assignment]


class TickSchema(serializers.Serializer):
    symbol = serializers.CharField()
    time = serializers.CharField(help_text="ISO 8601 UTC")
    trading_day = serializers.CharField()
    price = _num()
    open = _num()
    high = _num()
    low = _num()
    prev_close = _num(allow_null=True)
    volume = serializers.IntegerField()
    turnover = _num(allow_null=True)
    bids = LevelSchema(many=True)
    asks = LevelSchema(many=True)
    status = serializers.ChoiceField(choices=[s.value for s in TickStatus])
    limit_up = _num(allow_null=True)
    limit_down = _num(allow_null=True)
    simulated_time = serializers.CharField(allow_null=True, help_text="replayed sources: the moment reproduced")


class TicksResponse(NodeEnvelope):
    data = serializers.DictField(child=TickSchema(), help_text="keyed by symbol")  # type: ignore[assignment]


class TradesResponse(NodeEnvelope):
    data = TradeSchema(many=True, help_text="newest first")  # type: ignore[assignment]


class ActionSchema(serializers.Serializer):
    ex_date = serializers.CharField()
    cash_dividend = _num(help_text="CNY per share")
    share_ratio = _num(help_text="bonus/transfer shares per share")


class ActionsResponse(NodeEnvelope):
    data = serializers.DictField(child=ActionSchema(many=True), help_text="keyed by symbol, oldest first")  # type: ignore[assignment]


class _SymbolSchema(_PatternSchema):
    target_class = "marketdata.node_schemas.SymbolField"
