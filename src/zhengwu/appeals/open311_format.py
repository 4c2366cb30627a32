"""Open311 GeoReport v2 wire formats: the same Python value rendered as JSON or as the spec's XML
(built with xml.etree.ElementTree), UTF-8 with the XML declaration the spec asks for, and errors
in the spec's own shape."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET  # only to build XML; nothing here parses what a client sends

from django.http import HttpResponse
from django.utils import timezone

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# The element name of one item of a list, by the list's element name (GeoReport v2 examples).
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def w3(value: datetime | None) -> str | None:
    """The spec's date format: ISO 8601 with the offset, to the second."""
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3(value)
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item = ITEM.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return w3(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """``value`` as JSON, or as XML under ``root`` (a list becomes one element per item)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, value), content_type=XML_TYPE, status=status)
    body = json.dumps(value, ensure_ascii=False, default=_default)
    return HttpResponse(body.encode(), content_type=JSON_TYPE, status=status)


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """JSON [{"code": 403, "description": "…"}] or XML <errors><error><code>…"""
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)
