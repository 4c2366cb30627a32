"""Citizen pages: the public web form (我要反映) and its receipt, tracking by 工单号 + 查询码 with the
rating after closure, "我的诉求" for logged-in citizens, the attachment download, and the 知识库
self-help page with the suggestion fragment the operator intake page loads over htmx.

Tracking never tells whether a number exists: an unknown number and a wrong code get the same
message and the same 404, and both count towards the lock-out of the address they came from. The
count lives in the shared cache, not in the session: a fresh cookie does not start a new count,
and a guess writes no session row. A successful check is remembered in the session (the appeal's id, never the code), so the status
page and the downloads need no code in the URL."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.casework.tracking import Tracking
from zhengwu.core.errors import DomainError
from zhengwu.core.throttle import FailureCounter, client_ip

from . import knowledge, selectors, services
from .models import Appeal, Attachment
from .public_forms import HONEYPOT, AppealForm, RatingForm, TrackForm, place_error
from .public_selectors import (
    DONE_STATES,
    appeal_by_number,
    citizen_attachments,
    public_replies,
    public_state,
    public_timeline,
)
from .public_services import file_web_appeal, rate_appeal, rating_label, rating_of

SESSION_RECEIPT = "appeals_public.receipt"
SESSION_TRACKED = "appeals_public.tracked"
MAX_TRACKED = 20
# Wrong numbers or codes from one address before it is refused for a while: a citizen mistypes a
# few times, a guesser needs millions of tries (8-digit codes). Shared with the API's tracking.
TRACK_FAILURES = FailureCounter("track", limit=10, seconds=15 * 60)
GENERIC = "工单号或查询码不正确"
LOCKED = "查询码错误次数过多，请15分钟后再试"
BOT = "提交没有成功，请刷新页面后重新填写"


# ---------------------------------------------------------------------------------------------
# Session helpers
# ---------------------------------------------------------------------------------------------


def _grant(request: HttpRequest, appeal: Appeal) -> None:
    tracked = [pk for pk in request.session.get(SESSION_TRACKED, []) if pk != appeal.pk]
    request.session[SESSION_TRACKED] = [*tracked, appeal.pk][-MAX_TRACKED:]


def _citizen_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and not user.is_staff)


def _may_track(request: HttpRequest, appeal: Appeal) -> bool:
    if appeal.pk in request.session.get(SESSION_TRACKED, []):
        return True
    return (
        _citizen_user(request.user)
        and selectors.appeals_visible_to(request.user).filter(pk=appeal.pk).exists()
    )


def _locked(request: HttpRequest) -> bool:
    return TRACK_FAILURES.blocked(client_ip(request))


def _fail(request: HttpRequest) -> None:
    # A success does not reset the count: one known code must not buy a guesser new tries.
    TRACK_FAILURES.fail(client_ip(request))


# ---------------------------------------------------------------------------------------------
# 我要反映
# ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    status = 200
    if request.method == "POST":
        form = AppealForm(request.POST, request.FILES)
        if form.is_bot:
            form.is_valid()
            form.add_error(None, BOT)
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            try:
                appeal, code = file_web_appeal(
                    appeal_type=data["appeal_type"],
                    title=data["title"],
                    body=data["body"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    address=data["address"],
                    anonymous=data["anonymous"],
                    confidential=data["confidential"],
                    files=data["attachments"],
                    by=user,
                )
            except DomainError as exc:
                place_error(form, exc)
                status = exc.status
            else:
                request.session[SESSION_RECEIPT] = {"number": appeal.number, "code": code}
                _grant(request, appeal)
                return redirect("appeals_public:receipt")
        else:
            status = 400
    else:
        initial = {}
        if _citizen_user(user):
            initial = {"contact_name": user.display_name, "contact_phone": user.phone}
        form = AppealForm(initial=initial)
    reselect = request.method == "POST" and bool(request.FILES)
    return render(
        request,
        "appeals/public/new.html",
        {"form": form, "honeypot": HONEYPOT, "reselect_files": reselect},
        status=status,
    )


@never_cache
@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    data = request.session.get(SESSION_RECEIPT)
    if not data:
        return redirect("appeals_public:new")
    return render(request, "appeals/public/receipt.html", {"number": data["number"], "code": data["code"]})


# ---------------------------------------------------------------------------------------------
# 查询进度
# ---------------------------------------------------------------------------------------------


def _check(request: HttpRequest, number: str, code: str) -> Appeal | str:
    """The appeal when ``code`` is its query code; otherwise GENERIC (or LOCKED), the same for a
    number that does not exist — counted against the address either way."""
    if _locked(request):
        return LOCKED
    appeal = appeal_by_number(number)
    if appeal is not None and services.query_code_matches(appeal, code):
        return appeal
    services.hash_query_code(code)  # the same work whether or not the number exists
    _fail(request)
    return GENERIC


TRACKING = Tracking(check=_check, grant=_grant, locked=LOCKED, status_url="appeals_public:status")


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    return TRACKING.page(request, TrackForm, "appeals/public/track.html")


def _tracked_or_none(request: HttpRequest, number: str) -> Appeal | None:
    appeal = appeal_by_number(number)
    if appeal is None or not _may_track(request, appeal):
        return None
    return appeal


def _status_page(
    request: HttpRequest, appeal: Appeal, rating_form: RatingForm | None = None, status: int = 200
) -> HttpResponse:
    rating = rating_of(appeal)
    can_rate = appeal.state in DONE_STATES and rating is None
    # A refusal (already rated, not closed yet) is shown even where the form itself is not.
    rating_errors = (
        [m for msgs in rating_form.errors.values() for m in msgs] if rating_form and not can_rate else []
    )
    return render(
        request,
        "appeals/public/status.html",
        {
            "appeal": appeal,
            "state_label": public_state(appeal),
            "timeline": public_timeline(appeal),
            "replies": public_replies(appeal),
            "attachments": citizen_attachments(appeal),
            "rating": rating,
            "rating_label": rating_label(rating),
            "rating_form": (rating_form or RatingForm()) if can_rate else None,
            "rating_errors": rating_errors,
        },
        status=status,
    )


@never_cache
@require_GET
def status(request: HttpRequest, number: str) -> HttpResponse:
    appeal = _tracked_or_none(request, number)
    if appeal is None:
        return redirect(f"{reverse('appeals_public:track')}?{urlencode({'number': number[:30]})}")
    return _status_page(request, appeal)


@require_POST
def rate(request: HttpRequest, number: str) -> HttpResponse:
    appeal = _tracked_or_none(request, number)
    if appeal is None:
        raise Http404(GENERIC)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _status_page(request, appeal, form, status=400)
    try:
        rate_appeal(
            appeal=appeal,
            level=form.cleaned_data["level"],
            comment=form.cleaned_data["comment"],
            by=request.user,
        )
    except DomainError as exc:
        place_error(form, exc)
        return _status_page(request, appeal, form, status=exc.status)
    messages.success(request, "感谢您的评价！")
    return redirect("appeals_public:status", number=appeal.number)


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的诉求. Staff find appeals on their work pages; this page is a citizen's own list.

    Without an account a citizen tracks an appeal by its number and query code, so a visitor who
    is not signed in is taken to 查询进度 — never to the staff login (citizen accounts come with
    the applications work)."""
    user = request.user
    if not user.is_authenticated:
        messages.info(request, "请输入工单号和查询码查询您的诉求。")
        return redirect("appeals_public:track")
    qs = selectors.appeals_visible_to(user) if _citizen_user(user) else Appeal.objects.none()
    page = Paginator(qs.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    rows = [(a, public_state(a)) for a in page.object_list]
    return render(
        request, "appeals/public/mine.html", {"page": page, "rows": rows, "is_staff": user.is_staff}
    )


# ---------------------------------------------------------------------------------------------
# 附件下载
# ---------------------------------------------------------------------------------------------


@never_cache
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """Staff who may see the appeal get any of its files; a citizen (owner, or with a checked query
    code in this session) gets what citizen_attachments allows. Everyone else: 404."""
    att = get_object_or_404(Attachment.objects.select_related("appeal"), pk=pk)
    user = request.user
    allowed = False
    if getattr(user, "is_authenticated", False) and user.is_staff:
        try:
            selectors.appeal_for(user, att.appeal_id)
            allowed = True
        except Http404:
            allowed = False
    elif _may_track(request, att.appeal):
        allowed = citizen_attachments(att.appeal).filter(pk=att.pk).exists()
    if not allowed:
        raise Http404("没有找到该附件")
    response = FileResponse(
        att.file.open("rb"), as_attachment=True, filename=att.name, content_type=att.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# 知识库
# ---------------------------------------------------------------------------------------------


@require_GET
def knowledge_page(request: HttpRequest) -> HttpResponse:
    """常见问题: search when there is a query, otherwise every public entry in force, A–Z."""
    q = request.GET.get("q", "").strip()[: knowledge.MAX_QUERY]
    if q:
        hits = knowledge.search(q, public_only=True)
        entries = [h.entry for h in hits]
        page = None
    else:
        page = Paginator(knowledge.in_force(public_only=True).order_by("question", "id"), 20).get_page(
            request.GET.get("page")
        )
        entries = list(page.object_list)
    prefetch_related_objects(entries, "items")
    context = {"q": q, "entries": entries, "page": page}
    template = "appeals/public/knowledge.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(request, template, context)


@require_GET
def knowledge_suggest(request: HttpRequest) -> HttpResponse:
    """The fragment the operator intake page loads with ?q=<title>: matching answers, each with a
    button carrying the answer text (data-answer) for 咨询导办. Operators also see internal entries."""
    q = request.GET.get("q", "").strip()[: knowledge.MAX_QUERY]
    if not getattr(request, "htmx", False):
        url = reverse("appeals_public:knowledge")
        return redirect(f"{url}?{urlencode({'q': q})}" if q else url)
    staff = bool(
        getattr(request.user, "is_authenticated", False) and request.user.has_perm("appeals.register_appeal")
    )
    hits = knowledge.search(q, public_only=not staff, limit=5) if q else []
    return render(request, "appeals/public/_knowledge_suggest.html", {"q": q, "hits": hits})
