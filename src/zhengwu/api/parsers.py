"""Request body parsers for every API endpoint (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

DRF's JSON parser turns only ``ValueError`` into a 400, with Python's English message; a body
nested deeper than the interpreter's recursion limit (100,000 ``[``) raised ``RecursionError``
and answered 500. Here every body the JSON decoder refuses is a ``ParseError`` (400) in Chinese."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

PREFIX = "请求体不是有效的 JSON"


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"{PREFIX}：嵌套层数过多") from None
        except ParseError as exc:
            raise ParseError(f"{PREFIX}：{_reason(exc.__context__)}") from None


def _reason(cause: BaseException | None) -> str:
    if isinstance(cause, json.JSONDecodeError):
        return f"第 {cause.lineno} 行第 {cause.colno} 列格式错误"
    if isinstance(cause, UnicodeError):
        return "内容须为 UTF-8 编码"
    if isinstance(cause, ValueError) and "float" in str(cause):
        return "不支持 NaN 或 Infinity"
    return "无法解析"
