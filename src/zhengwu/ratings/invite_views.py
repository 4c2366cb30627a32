"""The rating pages an SMS short link (/r/<token>/) and a notice's 二维码 (/r/q/<signed>/) open: no
login, the matter shown without personal data (the applicant's name masked), the five levels, an
optional text and the online dimensions. A link rating is channel 短信, a scanned one 二维码, both
as the matter's applicant — so a second rating of the same round by any channel is refused (409).
An unknown token or a forged code is 404; before 办结 the 二维码 page only says when to come back.
/r/f/<signed>/ is the link of a 差评's feedback SMS: the rater rates the fix (feedback.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhengwu.core.errors import Conflict, DomainError, NotFound
from zhengwu.core.validators import mask_name

from . import feedback, invitations, services
from .forms import RatingForm
from .models import Rating, RatingChannel, RectificationState, WindowVisit
from .public_views import _row, callback_days

ALREADY = "您已评价过本办件，本轮不能重复评价。如需补充评价，请登录“我的办件”追评。"


def _title(obj: Any) -> str:
    item = getattr(obj, "item", None)
    if item is not None:
        return str(item.name)
    bundle = getattr(obj, "bundle", None)
    if bundle is not None:
        return str(bundle.name)
    return str(getattr(obj, "title", "") or "诉求")


def _matter_context(obj: Any) -> dict[str, Any]:
    matter = services.matter_of(obj)
    return {
        "number": matter.number,
        "title": _title(obj),
        "department": getattr(matter.department, "name", ""),
        "applicant": mask_name(str(getattr(obj, "applicant_name", "") or getattr(obj, "contact_name", ""))),
        "finished": matter.finished,
    }


def _missing(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "ratings/invite/missing.html", {"message": message}, status=404)


def _page(
    request: HttpRequest,
    obj: Any,
    *,
    rater_key: str,
    action: str,
    form: RatingForm | None = None,
    status: int = 200,
    done: Rating | None = None,
) -> HttpResponse:
    matter = services.matter_of(obj)
    given = list(Rating.objects.filter(matter_key=matter.key, rater_key=rater_key).order_by("round"))
    block = None
    if matter.finished:
        block = {
            "given": [_row(r) for r in given],
            "form": None if given else (form or RatingForm()),
            "follow_up": False,
            "until": None,
            "action": action,
            "callback_days": callback_days(),
        }
    context = {
        "matter": _matter_context(obj),
        "rating": block,
        "already": bool(given) and done is None,
        "done": done,
        "already_message": ALREADY,
    }
    return render(request, "ratings/invite/rate.html", context, status=status)


def _submit(request: HttpRequest, obj: Any, rate: Any, rater_key: str) -> HttpResponse:
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _page(request, obj, rater_key=rater_key, action=request.path, form=form, status=400)
    try:
        rating = rate(level=form.level(), text=form.cleaned_data["text"], scores=form.scores())
    except Conflict as exc:
        rated = Rating.objects.filter(matter_key=services.matter_of(obj).key, rater_key=rater_key).exists()
        return render(
            request,
            "ratings/invite/refused.html",
            {"matter": _matter_context(obj), "message": ALREADY if rated else exc.message},
            status=409,
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _page(request, obj, rater_key=rater_key, action=request.path, form=form, status=exc.status)
    return _page(request, obj, rater_key=rater_key, action=request.path, done=rating)


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """/r/<token>/ — the invitation SMS's short link."""
    try:
        invitation = invitations.invitation_for_token(token)
        obj = invitations.matter_object(invitation.matter_key)
    except NotFound:
        return _missing(request, "评价链接无效或已失效，请核对短信中的链接。")
    if request.method == "POST":

        def rate(**kwargs: Any) -> Rating:
            return invitations.answer(invitation, channel=RatingChannel.SMS, **kwargs)

        return _submit(request, obj, rate, invitation.rater_key)
    return _page(request, obj, rater_key=invitation.rater_key, action=request.path)


@never_cache
@require_http_methods(["GET", "POST"])
def qr(request: HttpRequest, signed: str) -> HttpResponse:
    """/r/q/<signed>/ — the 扫码评价 code on a matter's notices."""
    try:
        key = invitations.qr_matter_key(signed)
        obj = invitations.matter_object(key)
    except NotFound:
        return _missing(request, "二维码无效，请扫描文书上的评价二维码。")
    rater_key = invitations.applicant_rater_key(obj)
    if request.method == "POST":

        def rate(**kwargs: Any) -> Rating:
            return invitations.rate_by_qr(key, **kwargs)

        return _submit(request, obj, rate, rater_key)
    return _page(request, obj, rater_key=rater_key, action=request.path)


@never_cache
@require_http_methods(["GET", "POST"])
def fix(request: HttpRequest, signed: str) -> HttpResponse:
    """/r/f/<signed>/ — the feedback SMS's link: what the department did about the 差评, and the
    rating of the fix (the next round, once)."""
    try:
        case = feedback.case_for(signed)
    except NotFound:
        return _missing(request, "整改反馈链接无效，请核对短信中的链接。")
    obj = feedback.matter_object(case.rating)
    form = RatingForm(request.POST) if request.method == "POST" else RatingForm()
    status, done, error = 200, None, ""
    if request.method == "POST":
        if form.is_valid():
            try:
                done = feedback.rate_fix(
                    case, level=form.level(), text=form.cleaned_data["text"], scores=form.scores()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status, error = exc.status, exc.message
        else:
            status = 400
    given = feedback.fix_rating(case)
    open_ = case.state == RectificationState.CLOSED and given is None
    context = {
        "matter": _fix_matter(obj),
        "case": case,
        "done": done,
        "error": error,
        "rating": {
            "given": [_row(r) for r in ([case.rating] + ([given] if given else []))],
            "form": form if open_ else None,
            "follow_up": True,
            "until": feedback.until(case),
            "action": request.path,
            "callback_days": callback_days(),
        },
    }
    return render(request, "ratings/invite/fix.html", context, status=status)


def _fix_matter(obj: Any) -> dict[str, Any]:
    if isinstance(obj, WindowVisit):
        return {
            "number": obj.number,
            "title": obj.service,
            "department": obj.department.name,
            "applicant": "",
            "finished": True,
        }
    return _matter_context(obj)
