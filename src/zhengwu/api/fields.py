"""Input fields shared by the APIs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# The largest value of a 64-bit integer column (BigAutoField, PostgreSQL bigint, SQLite INTEGER):
# a larger number cannot name a row, and reaching the database it raised OverflowError (a 500).
BIGINT_MAX = 2**63 - 1


class IdField(serializers.IntegerField):
    """A row's number (编号) in a query or a body: a positive integer the database can hold."""

    default_error_messages = {
        "invalid": "须为整数编号",
        "min_value": "编号须为正整数",
        "max_value": "编号超出范围，没有这样的对象",
        "max_string_length": "编号过长",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)
