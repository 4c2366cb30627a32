"""Every API error has the same shape: {"detail": "…", "errors": {"field": ["…"]}}, in Chinese,
with 400 for malformed input, 403, 404, 409 for state conflicts and 422 for rule violations."""

from __future__ import annotations

import decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from zhengwu.core.errors import DomainError


def _first_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            msg = _first_message(value)
            return msg if field in ("non_field_errors", "__all__") else f"{field}：{msg}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


# PostgreSQL gave up one of two transactions that waited for each other (deadlock) or could not be
# serialised: the other one changed the record — the same answer as a stale version.
CONCURRENT_SQLSTATES = frozenset({"40P01", "40001"})


def _lost_a_race(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if getattr(cause, "sqlstate", None) in CONCURRENT_SQLSTATES:
            return True
        cause = cause.__cause__
    return False


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DatabaseError) and _lost_a_race(exc):
        message = "已被他人修改，请刷新后重试"
        return Response({"detail": message, "errors": {}}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, OverflowError | decimal.InvalidOperation):
        # A number beyond what the database or the arithmetic can hold reached a query: the input
        # fields bound what they can (zhengwu.api.fields), this catches the rest as bad input.
        message = "请求中的数值超出允许范围，请检查编号和数量"
        return Response({"detail": message, "errors": {}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "errors": exc.errors}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            {"detail": _first_message(errors), "errors": errors}, status=status.HTTP_422_UNPROCESSABLE_ENTITY
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    return response
