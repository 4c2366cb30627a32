"""一事一评 online: the applicant rates a finished application or 一件事办件 on its 我的办件 page,
and may add a 追评 (a new round) while the period lasts. Only the applicant's own accounts may rate
— the same rule that lets them see the page; anyone else gets 404, as for the page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhengwu.core.errors import DomainError

from . import services
from .forms import STAR_LABELS, RatingForm
from .models import ONLINE_DIMENSIONS, Rating, RatingChannel


def rater_key(user: Any) -> str:
    return f"user:{user.pk}"


def channel_of(request: HttpRequest) -> str:
    """移动服务端 for a phone's browser, PC端 otherwise."""
    return RatingChannel.MOBILE if "Mobile" in request.headers.get("User-Agent", "") else RatingChannel.PC


def callback_days() -> int:
    return int(getattr(settings, "RATING_VERIFY_WORKING_DAYS", 1))


def _row(rating: Rating) -> dict[str, Any]:
    stars = 6 - rating.level
    return {
        "round": rating.round,
        "stars": stars,
        "label": STAR_LABELS[stars],
        "text": rating.text,
        "rated_at": rating.rated_at,
        "scores": [(ONLINE_DIMENSIONS.get(k, k), 6 - v) for k, v in rating.scores.items()],
        "bad": rating.bad,
    }


def rating_block(request: HttpRequest, obj: Any, form: RatingForm | None = None) -> dict[str, Any]:
    """The rating block's context for the page of ``obj`` (an application or a 一件事办件):
    nothing until it is finished; then the ratings this account gave and the form (the first
    rating, or a 追评 while the period lasts)."""
    matter = services.matter_of(obj)
    if not matter.finished:
        return {"rating": None}
    given = list(
        Rating.objects.filter(matter_key=matter.key, rater_key=rater_key(request.user)).order_by("round")
    )
    until = None
    if given:
        until = given[0].rated_at + timedelta(days=int(getattr(settings, "RATING_FOLLOW_UP_DAYS", 15)))
        if timezone.now() > until and form is None:
            until = None
    if form is None and (not given or until is not None):
        form = RatingForm(initial={"follow_up": bool(given)})
    name = "bundle_rate" if matter.kind == "bundle" else "rate"
    return {
        "rating": {
            "given": [_row(r) for r in given],
            "form": form,
            "follow_up": bool(given),
            "until": until,
            "action": reverse(f"applications_public:{name}", args=[matter.number]),
            "callback_days": callback_days(),
        }
    }


def _rate(request: HttpRequest, obj: Any, back: str, title: str) -> HttpResponse:
    form = RatingForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            rating = services.rate(
                matter=obj,
                rater_key=rater_key(request.user),
                rater_user=request.user,
                rater_name=obj.applicant_name[:50],
                real_name=True,
                channel=channel_of(request),
                level=form.level(),
                text=form.cleaned_data["text"],
                scores=form.scores(),
                follow_up=form.cleaned_data["follow_up"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            if rating.bad:
                messages.warning(
                    request,
                    f"感谢您的评价。办理部门将在{callback_days()}个工作日内与您电话联系，核实情况并整改。",
                )
            else:
                messages.success(request, "感谢您的评价！")
            return redirect(back)
    context = {"title": title, "back": back, **rating_block(request, obj, form)}
    return render(request, "ratings/rate.html", context, status=status)


@require_POST
def rate_application(request: HttpRequest, number: str) -> HttpResponse:
    from zhengwu.applications.public_views import _owned

    application = _owned(request, number)
    back = reverse("applications_public:detail", args=[application.number])
    return _rate(request, application, back, f"评价办件 {application.number}")


@require_POST
def rate_bundle(request: HttpRequest, number: str) -> HttpResponse:
    from zhengwu.applications.bundle_public_views import _owned

    parent = _owned(request, number)
    back = reverse("applications_public:bundle_detail", args=[parent.number])
    return _rate(request, parent, back, f"评价一件事办件 {parent.number}")
