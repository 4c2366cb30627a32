"""Pages that htmx refreshes in part: the partial when htmx asks, the whole page otherwise.

A history restore is htmx asking for a page it lost from its cache (the back button): it puts what
comes back in place of the whole body, so it gets the whole page, as a link opened in a new tab
does."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx asked for a part of the page (a history restore wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "history_restore_request", False)


def render_page(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """``template`` whole, or only its ``{% partialdef partial %}`` when htmx asked."""
    name = f"{template}#{partial}" if is_htmx(request) else template
    return render(request, name, context, status=status)
