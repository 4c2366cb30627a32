from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .navigation import header_links


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav_links": header_links(getattr(request, "user", None))}
