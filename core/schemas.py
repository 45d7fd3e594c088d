"""OpenAPI shapes every app shares (documentation only): the spec's error envelope and success basics."""

from __future__ import annotations

from rest_framework import serializers

from core.errors import ERROR_CODES


class ErrorDetailSchema(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(ERROR_CODES))
    message = serializers.CharField()
    details = serializers.CharField(allow_null=True, help_text="what to fix")


class ErrorResponse(serializers.Serializer):
    success = serializers.BooleanField()
    error = ErrorDetailSchema()
    timestamp = serializers.CharField()


class BodySchema(serializers.Serializer):
    """A success answer whose fields sit beside `success` (the spec's cache and pool responses)."""

    success = serializers.BooleanField()
    message = serializers.CharField()
    timestamp = serializers.CharField()


class DataEnvelopeSchema(serializers.Serializer):
    """A success answer with `data` (subclasses declare it)."""

    success = serializers.BooleanField()
    message = serializers.CharField()
    timestamp = serializers.CharField()


def num(**kwargs: object) -> serializers.FloatField:
    return serializers.FloatField(**kwargs)  # type: ignore[arg-type]
