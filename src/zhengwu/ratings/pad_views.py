"""The window rating pad's pages, mounted at /pad/: the binding link an administrator opens once on
the tablet (the token goes into a long-lived HttpOnly cookie; no staff login on the tablet), the
full-screen page, the fragment it polls every two seconds (htmx), and the five faces' form.

Without a token, or with an unknown or revoked one, every page answers 403 with a Chinese page and
shows no visit."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhengwu.core.errors import DomainError

from . import pads
from .models import STARS_TO_LEVEL, RatingPad, WindowVisit

COOKIE = "zw_pad"
COOKIE_AGE = 5 * 365 * 24 * 3600  # the tablet stays bound until the pad is revoked

# The mouth of each face, by level code (1 非常满意 … 5 非常不满意): a smile that flattens and turns.
MOUTHS = {
    1: "M28 58 Q50 84 72 58",
    2: "M30 62 Q50 76 70 62",
    3: "M32 66 L68 66",
    4: "M30 70 Q50 58 70 70",
    5: "M28 74 Q50 50 72 74",
}


def faces() -> list[dict[str, Any]]:
    """The five buttons left to right: most stars (非常满意) first, each sending its level code."""
    out = []
    for stars in sorted(STARS_TO_LEVEL, reverse=True):
        level = STARS_TO_LEVEL[stars]
        out.append({"level": int(level), "label": level.label, "stars": stars, "mouth": MOUTHS[int(level)]})
    return out


def token_of(request: HttpRequest) -> str:
    """The pad token: the ``Authorization: Pad <token>`` header, else the cookie."""
    header = request.headers.get("Authorization", "")
    if header[:4].lower() == "pad ":
        return header[4:].strip()
    return request.COOKIES.get(COOKIE, "")


def _refused(request: HttpRequest, e: DomainError) -> HttpResponse:
    template = (
        "ratings/pad/_refused.html" if request.headers.get("HX-Request") else "ratings/pad/refused.html"
    )
    return render(request, template, {"message": e.message}, status=e.status)


def initials(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return "窗"
    if name.isascii():
        return "".join(part[0] for part in name.split()[:2]).upper()
    return name[0]


def shown_key(pad: RatingPad) -> tuple[str, int | None]:
    """What the screen shows, as a key, and the visit offered: the window's latest visit while it
    is unrated, else idle after it — the day's figures change only when a visit is recorded or
    rated, so the key changes with them."""
    pk, rated = pads.latest_visit(pad)
    if pk is not None and not rated:
        return f"visit-{pk}", pk
    return f"idle-{timezone.localdate():%Y%m%d}-{pk or 0}", None


def screen_context(pad: RatingPad, key: tuple[str, int | None] | None = None) -> dict[str, Any]:
    shown, pk = key or shown_key(pad)
    visit = None
    if pk is not None:
        visit = WindowVisit.objects.select_related("staff", "window", "item").filter(pk=pk).first()
    context: dict[str, Any] = {"pad": pad, "window": pad.window, "visit": visit, "shown": shown}
    if visit is not None:
        name = visit.staff.display_name if visit.staff else ""
        context.update(
            clerk=name or "窗口工作人员",
            initials=initials(name),
            faces=faces(),
        )
    else:
        today = timezone.localdate()
        figures = pads.window_day_figures(pad.window, today)
        served = pads.window_day_served(pad.window, today)
        context.update(today=today, figures=figures, served=served)
    return context


@never_cache
@require_GET
def bind(request: HttpRequest, token: str) -> HttpResponse:
    """Opened once on the tablet: the token goes into the cookie, then the pad page."""
    try:
        pads.pad_for_token(token)
    except DomainError as e:
        return _refused(request, e)
    response = redirect("ratings_pad:page")
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
        path="/",
    )
    return response


@never_cache
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    try:
        pad = pads.pad_for_token(token_of(request))
    except DomainError as e:
        return _refused(request, e)
    return render(request, "ratings/pad/page.html", screen_context(pad))


@never_cache
@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The fragment the page polls; 204 (nothing to swap) while what it shows has not changed."""
    try:
        pad = pads.pad_for_token(token_of(request))
    except DomainError as e:
        return _refused(request, e)
    key = shown_key(pad)
    if request.GET.get("shown") == key[0]:
        return HttpResponse(status=204)
    return render(request, "ratings/pad/_screen.html", screen_context(pad, key))


@never_cache
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    """A tap on a face: the rating, then a thank-you for a few seconds."""
    try:
        pad = pads.pad_for_token(token_of(request))
    except DomainError as e:
        return _refused(request, e)
    htmx = bool(request.headers.get("HX-Request"))
    try:
        rating = pads.rate_on_pad(pad, request.POST.get("visit"), request.POST.get("level"))
    except DomainError as e:
        if e.status == 403 and e.field is None:
            return _refused(request, e)
        template = "ratings/pad/_notice.html" if htmx else "ratings/pad/page.html"
        context = {**screen_context(pad), "notice": e.message}
        return render(request, template, context, status=e.status)
    if not htmx:
        return render(request, "ratings/pad/page.html", {**screen_context(pad), "thanks": rating})
    return render(request, "ratings/pad/_thanks.html", {"rating": rating})
