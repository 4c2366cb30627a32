"""The public 查询进度 page every matter shares: a person types the matter's number and query code;
the part's own check finds the matter or refuses (counting the failure against whatever it
throttles), and a success is remembered by the part's own session grant before the status page
opens. Neither the page nor the refusal tells whether the number exists: that is the check's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import TrackForm

Matter = TypeVar("Matter")


@dataclass(frozen=True)
class Tracking(Generic[Matter]):
    """``check(request, number, code)``: the matter, or the message refusing it (``locked`` when
    too many failures came before); ``grant(request, matter)``: remember the success;
    ``status_url``: the URL name of the status page, taking the matter's ``number``."""

    check: Callable[[HttpRequest, str, str], Matter | str]
    grant: Callable[[HttpRequest, Matter], None]
    locked: str
    status_url: str

    def answer(self, request: HttpRequest, form: forms.Form, number: str, code: str) -> HttpResponse | int:
        """The redirect to the status page when ``code`` opens the matter; otherwise the refusal is
        put on ``form`` and the status to render it with is returned (429 locked, 404 wrong)."""
        found = self.check(request, number, code)
        if isinstance(found, str):
            form.add_error(None, found)
            return 429 if found == self.locked else 404
        self.grant(request, found)
        matter: Any = found
        return redirect(self.status_url, number=matter.number)

    def page(self, request: HttpRequest, form_class: type[TrackForm], template: str) -> HttpResponse:
        """The track page: GET shows the form (the number prefilled from ``?number=``, cut to the
        longest the form takes), POST checks the pair."""
        status = 200
        if request.method == "POST":
            form = form_class(request.POST)
            if not form.is_valid():
                status = 400
            else:
                answer = self.answer(request, form, form.cleaned_data["number"], form.cleaned_data["code"])
                if isinstance(answer, HttpResponse):
                    return answer
                status = answer
        else:
            longest = form_class.base_fields["number"].max_length  # type: ignore[attr-defined]
            form = form_class(initial={"number": request.GET.get("number", "")[:longest]})
        return render(request, template, {"form": form}, status=status)
