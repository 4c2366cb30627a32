"""htmx asks for a part of a page; a history restore (the back button after htmx's cache lost the
page) and an ordinary request get the whole page."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from zhengwu.web.htmx import is_htmx


def seen(**headers: str):
    request = RequestFactory().get("/", headers=headers)
    HtmxMiddleware(lambda r: HttpResponse())(request)
    return request


@pytest.mark.parametrize(
    ("headers", "partial"),
    [
        ({}, False),
        ({"HX-Request": "true"}, True),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
    ],
)
def test_only_an_htmx_request_that_is_not_a_history_restore_wants_a_part(headers, partial):
    assert is_htmx(seen(**headers)) is partial


def test_a_request_no_middleware_saw_wants_the_whole_page():
    assert is_htmx(RequestFactory().get("/", headers={"HX-Request": "true"})) is False
