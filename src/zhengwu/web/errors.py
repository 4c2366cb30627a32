"""The pages a person sees when something goes wrong: what happened and what to do, in Chinese.

400, 403 and 404 are pages of the site (its header, menu and footer). The 500 page and the
maintenance page (503: the database is unavailable, read-only or full) are static: rendered without
the request, so without context processors and without touching the database, since that may be
what failed. API and Open311 clients never see these pages: zhengwu.api.middleware answers them in
their own format with the same status."""

from __future__ import annotations

import errno
import logging
import sys
from typing import Any

from django.db import DatabaseError, InterfaceError, InternalError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

log = logging.getLogger(__name__)

# Errors that mean "the database cannot serve us now" (gone, read-only, disk full, locked for too
# long), as opposed to a bug in a query (ProgrammingError, IntegrityError, DataError: a 500).
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, InternalError)
RETRY_AFTER_SECONDS = 120


def database_unavailable(exc: BaseException | None) -> bool:
    """The database — or the disk under it and the uploads — cannot serve us now."""
    while exc is not None:
        if isinstance(exc, UNAVAILABLE_ERRORS):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _static(template: str, status: int) -> HttpResponse:
    return HttpResponse(loader.get_template(template).render({}), status=status)


def maintenance_response() -> HttpResponse:
    response = _static("web/errors/maintenance.html", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _page(request: HttpRequest, template: str, status: int, **context: Any) -> HttpResponse:
    try:
        return render(request, template, context, status=status)
    except DatabaseError:  # the layout reads the user and the menu; without a database, the static page
        log.exception("error page %s could not be rendered with the layout", status)
        return maintenance_response()


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "web/errors/400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "web/errors/403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "web/errors/404.html", 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its page expired (or from elsewhere): say so, and how to go on."""
    return _page(request, "web/errors/403_csrf.html", 403)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unhandled exception. When the database is what failed, the maintenance page (503, try
    again later) rather than a 500: nothing is wrong with what the person did."""
    if database_unavailable(sys.exc_info()[1]):
        return maintenance_response()
    return _static("web/errors/500.html", 500)
