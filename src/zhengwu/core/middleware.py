"""Refuse an oversized request before its body is read. Django checks DATA_UPLOAD_MAX_MEMORY_SIZE
only while it parses a body, and never counts uploaded files, so a 1 GB "attachment" used to be
received in full (onto disk) before the attachment check refused it. Here the declared
Content-Length is compared with REQUEST_MAX_BYTES first, and a body over it gets 413 at once —
a Chinese page for people; API and Open311 clients get their own format (zhengwu.api.middleware).
Nothing is read, so nothing is written."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader


def too_large_response(limit: int) -> HttpResponse:
    html = loader.get_template("web/errors/413.html").render({"limit_mb": max(1, limit // (1024 * 1024))})
    return HttpResponse(html, status=413)


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.REQUEST_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body without a valid length
        if limit and length > limit:
            request.META["CONTENT_LENGTH"] = "0"  # whatever runs next must not start reading it
            return too_large_response(limit)
        return self.get_response(request)
