"""Applicant pages: 在线办理 and its receipt, 我的办件 with each application's public steps, notices,
补正 online and 撤回, and tracking by 办件编号 + 查询码 without an account (the page a notice's QR
code opens).

Tracking never tells whether a number exists: an unknown number and a wrong code get the same
message and the same 404, and both count — for the address they came from and for the number
tried — in the shared cache (core/throttle.py), never in the session: a fresh cookie starts no new
count, a guess writes no session row, and guessing one number's code from many addresses stops too.
A successful check is remembered in the session (the application's id, never the code).

A 一件事办件 (YJ- number) is tracked the same way, with its own query code. 我的办件 loads its
一件事 section from bundle_public_views.mine (its own page too); a bundle's items are listed there
under it, not again one by one among the single applications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.accounts import identity
from zhengwu.casework.deadlines import Lights
from zhengwu.casework.numbers import hash_query_code, query_code_matches
from zhengwu.casework.paging import keyset
from zhengwu.casework.tracking import Tracking
from zhengwu.catalog.models import OnlineDepth, ServiceItem
from zhengwu.catalog.selectors import published_items
from zhengwu.core.errors import DomainError
from zhengwu.core.throttle import FailureCounter, client_ip

from . import bundle_public_views as bundle_pages
from . import services
from .bundle_selectors import owned_bundles
from .models import Application, BundleApplication, Delivery, MaterialFile, SupplementRequest
from .public_forms import ApplyForm, CodeForm, SupplyForm, TrackForm, WithdrawForm, place_error
from .public_selectors import (
    application_by_number,
    latest_step,
    light_label,
    light_of,
    public_state,
    public_timeline,
    with_latest_step,
)
from .selectors import owned_by
from .workflow import ApplicationState as S

R = TypeVar("R", bound=HttpResponseBase)
SESSION_RECEIPT = "applications_public.receipt"
SESSION_TRACKED = "applications_public.tracked"
SESSION_TRACKED_BUNDLES = "applications_public.tracked_bundles"
MAX_TRACKED = 20
PAGE_SIZE = 20
# Wrong numbers or codes before tracking is refused for a while, counted per address and per
# number tried: a citizen mistypes a few times, a guesser needs millions of tries (8-digit codes).
TRACK_FAILURES = FailureCounter("apply-track", limit=10, seconds=15 * 60)
NUMBER_FAILURES = FailureCounter("apply-track-number", limit=10, seconds=15 * 60)
GENERIC = "办件编号或查询码不正确"
LOCKED = "查询码错误次数过多，请15分钟后再试"
STAFF_REFUSED = "工作人员账号不能以申请人身份网上申请。请在综合受理窗口为申请人办理。"


def _citizen_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and not user.is_staff)


def _refusal(request: HttpRequest, title: str, message: str, status: int, item: Any = None) -> HttpResponse:
    return render(
        request,
        "applications/public/refused.html",
        {"title": title, "message": message, "item": item},
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# 在线办理
# ---------------------------------------------------------------------------------------------


def _online_item(item_id: int) -> ServiceItem:
    item = published_items().filter(pk=item_id).first()
    if item is None:
        raise Http404("没有找到该事项")
    return item


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, item_id: int) -> HttpResponse:
    """在线办理 of one published item that allows it (网上预审 or 全程网办), by a signed-in
    applicant for themselves or for an enterprise they are an 经办人 of."""
    item = _online_item(item_id)
    if item.online_depth < OnlineDepth.PREVIEW:
        return _refusal(
            request,
            "请到窗口办理",
            f"“{item.name}”暂不支持网上申请，请携带材料到政务服务中心窗口办理。",
            409,
            item,
        )
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _citizen_user(user):
        return _refusal(request, "不能网上申请", STAFF_REFUSED, 403, item)
    form = ApplyForm(request.POST or None, request.FILES or None, item=item, user=user)
    if not form.choices:
        return _refusal(
            request,
            "无法网上申请",
            "您的账号没有关联申请人（个人或单位），请重新注册或到窗口办理。",
            409,
            item,
        )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            applicant = form.applicant_record()
            try:
                intake = services.apply_online(
                    item=item,
                    by=user,
                    applicant=applicant,  # type: ignore[arg-type]
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    form_data=form.form_data(),
                    uploads=form.uploads(),
                    delivery_method=data["delivery_method"],
                    postal_recipient=data["postal_recipient"],
                    postal_phone=data["postal_phone"],
                    postal_address=data["postal_address"],
                    idempotency_key=f"web-{user.pk}-{data['idempotency_key']}",
                )
            except DomainError as exc:
                place_error(form, exc)
                status = exc.status
            else:
                application = intake.application
                if intake.query_code is None:  # the same form sent twice: the first one stands
                    messages.info(request, f"该申请已提交，办件编号 {application.number}")
                    return redirect("applications_public:detail", number=application.number)
                request.session[SESSION_RECEIPT] = {"number": application.number, "code": intake.query_code}
                return redirect("applications_public:receipt")
        else:
            status = 400
    else:
        own = next((r for _, _, r in form.choices if getattr(r, "user_id", None) == user.pk), None)
        form.initial.setdefault("contact_name", user.display_name)
        form.initial.setdefault("contact_phone", getattr(own, "phone", "") or user.phone)
    return render(
        request,
        "applications/public/apply.html",
        {
            "item": item,
            "form": form,
            "reselect_files": request.method == "POST" and bool(request.FILES),
            "full_online": item.online_depth == OnlineDepth.FULLY_ONLINE,
        },
        status=status,
    )


@never_cache
@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    """The query code, shown once: it is taken out of the session as the page is drawn."""
    data = request.session.pop(SESSION_RECEIPT, None)
    if not data:
        return redirect("applications_public:mine")
    return render(
        request, "applications/public/receipt.html", {"number": data["number"], "code": data["code"]}
    )


# ---------------------------------------------------------------------------------------------
# 我的办件
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    application: Application
    state: str
    light: str
    light_label: str
    step: str


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的办件: the applicant's own applications, newest first, a page at a time (keyset)."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _citizen_user(user):
        return render(request, "applications/public/mine.html", {"is_staff": True})
    # Items and departments come in two small queries after the page: joined into the page's own
    # query, they led PostgreSQL to walk every item's applications (200 ms over a million rows).
    # A bundle's items are listed under their 一件事办件, not here again.
    qs = with_latest_step(owned_by(user).filter(bundle_application__isnull=True)).prefetch_related(
        "item", "department"
    )
    page = keyset(qs, field="submitted_at", descending=True, after=request.GET.get("after"), size=PAGE_SIZE)
    lights = Lights()
    rows = []
    for a in page.rows:
        light = light_of(a, lights)
        rows.append(Row(a, public_state(a), light, light_label(light), latest_step(a)))
    return render(
        request,
        "applications/public/mine.html",
        {
            "rows": rows,
            "next_key": page.next_key,
            "first_page": page.first,
            "identity_status": identity.status_of(user),
        },
    )


def _owned(request: HttpRequest, number: str) -> Application:
    """The signed-in applicant's own application numbered ``number``; 404 for anything else."""
    found = (
        owned_by(request.user)
        .select_related("item", "department", "citizen", "enterprise")
        .filter(number=(number or "").strip().upper())
        .first()
        if _citizen_user(request.user)
        else None
    )
    if found is None:
        raise Http404("没有找到该办件")
    return found


def _open_request(application: Application) -> SupplementRequest | None:
    if application.state != S.SUPPLEMENT:
        return None
    return application.supplement_requests.filter(supplied_at__isnull=True).order_by("-round").first()


def _supply_form(
    application: Application, request_: SupplementRequest, data: Any = None, files: Any = None
) -> SupplyForm:
    materials = {m.pk: m for m in application.materials.all()}
    return SupplyForm(
        data, files, items=request_.items, materials=materials, initial={"version": application.version}
    )


def _detail_page(
    request: HttpRequest,
    application: Application,
    *,
    supply_form: SupplyForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from zhengwu.ratings.public_views import rating_block

    codes = {a.code for a in services.available_actions(application, request.user)}
    open_request = _open_request(application) if "supply" in codes else None
    if open_request is not None and supply_form is None:
        supply_form = _supply_form(application, open_request)
    if "withdraw" in codes and withdraw_form is None:
        withdraw_form = WithdrawForm(initial={"version": application.version})
    light = light_of(application, Lights())
    delivery = Delivery.objects.filter(application=application).first()
    return render(
        request,
        "applications/public/detail.html",
        {
            "application": application,
            "state_label": public_state(application),
            "light": light,
            "light_label": light_label(light),
            "timeline": public_timeline(application),
            "notices": application.notices.order_by("issued_at", "id"),
            "materials": application.materials.prefetch_related("files").order_by("order", "id"),
            "open_request": open_request,
            "supply_form": supply_form if open_request is not None else None,
            "withdraw_form": withdraw_form if "withdraw" in codes else None,
            "delivery": delivery,
            "deferred": services.deferred_due_dates(application),
            **rating_block(request, application),
        },
        status=status,
    )


@never_cache
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _detail_page(request, _owned(request, number))


@require_POST
def supply(request: HttpRequest, number: str) -> HttpResponse:
    """补正 online: a file (or several) for every material the open notice named."""
    application = _owned(request, number)
    open_request = _open_request(application)
    if open_request is None:
        messages.error(request, "该办件当前不需要补正材料")
        return redirect("applications_public:detail", number=application.number)
    form = _supply_form(application, open_request, request.POST, request.FILES)
    if not form.is_valid():
        return _detail_page(request, application, supply_form=form, status=400)
    try:
        services.supply(
            application=application,
            by=request.user,
            uploads=form.uploads(),
            note=form.cleaned_data["note"],
            version=form.cleaned_data.get("version"),
        )
    except DomainError as exc:
        place_error(form, exc)
        application.refresh_from_db()
        return _detail_page(request, application, supply_form=form, status=exc.status)
    messages.success(request, "补正材料已提交，窗口将重新审核，请留意办理进度。")
    return redirect("applications_public:detail", number=application.number)


@require_POST
def withdraw(request: HttpRequest, number: str) -> HttpResponse:
    """撤回, with the reason, after the page asked to confirm."""
    application = _owned(request, number)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, application, withdraw_form=form, status=400)
    try:
        services.withdraw(
            application=application,
            by=request.user,
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data.get("version"),
        )
    except DomainError as exc:
        form.add_error("reason" if exc.field == "reason" else None, exc.message)
        application.refresh_from_db()
        return _detail_page(request, application, withdraw_form=form, status=exc.status)
    messages.success(request, "申请已撤回。")
    return redirect("applications_public:detail", number=application.number)


def _private(response: R) -> R:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@require_GET
def notice_pdf(request: HttpRequest, number: str, notice_number: str) -> HttpResponse:
    """A notice of the applicant's own application as PDF, drawn from what it froze when issued."""
    application = _owned(request, number)
    notice = application.notices.filter(number=notice_number).first()
    if notice is None:
        raise Http404("没有找到该文书")
    from . import pdf  # drawn on demand; reportlab is loaded only here

    return _private(pdf.response(notice))


@never_cache
@require_GET
def material_file(request: HttpRequest, number: str, file_id: int) -> FileResponse:
    """A file the applicant uploaded for their own application."""
    application = _owned(request, number)
    row = MaterialFile.objects.filter(pk=file_id, material__application=application).first()
    if row is None:
        raise Http404("没有找到该文件")
    response = FileResponse(
        row.file.open("rb"), as_attachment=True, filename=row.name, content_type=row.content_type
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    _private(response)
    return response


# ---------------------------------------------------------------------------------------------
# 办件查询 without an account
# ---------------------------------------------------------------------------------------------


def _session_key(matter: Application | BundleApplication) -> str:
    # Two tables, two lists: an application and a bundle application may share an id.
    return SESSION_TRACKED_BUNDLES if isinstance(matter, BundleApplication) else SESSION_TRACKED


def _grant(request: HttpRequest, application: Application | BundleApplication) -> None:
    key = _session_key(application)
    tracked = [pk for pk in request.session.get(key, []) if pk != application.pk]
    request.session[key] = [*tracked, application.pk][-MAX_TRACKED:]


def _may_track(request: HttpRequest, application: Application | BundleApplication) -> bool:
    if application.pk in request.session.get(_session_key(application), []):
        return True
    return _is_owner(request, application)


def _is_owner(request: HttpRequest, matter: Application | BundleApplication) -> bool:
    if not _citizen_user(request.user):
        return False
    owned = owned_bundles if isinstance(matter, BundleApplication) else owned_by
    return bool(owned(request.user).filter(pk=matter.pk).exists())


def _by_number(number: str) -> Application | BundleApplication | None:
    if bundle_pages.is_bundle_number(number):
        return bundle_pages.bundle_by_number(number)
    return application_by_number(number)


def _check(request: HttpRequest, number: str, code: str) -> Application | BundleApplication | str:
    """The application (or 一件事办件) when ``code`` is its query code; otherwise GENERIC (or
    LOCKED), the same for a number that does not exist — counted against the address and the
    number either way."""
    ip, key = client_ip(request), (number or "").strip().upper()[:50]
    if TRACK_FAILURES.blocked(ip) or NUMBER_FAILURES.blocked(key):
        return LOCKED
    application = _by_number(key)
    if application is not None and query_code_matches(application.query_code_hash, code):
        return application
    if application is None:
        query_code_matches(hash_query_code("0"), code)  # the same work whether or not it exists
    # A success does not reset the counts: one known code must not buy a guesser new tries.
    TRACK_FAILURES.fail(ip)
    NUMBER_FAILURES.fail(key)
    return GENERIC


TRACKING: Tracking[Application | BundleApplication] = Tracking(
    check=_check, grant=_grant, locked=LOCKED, status_url="applications_public:status"
)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    return TRACKING.page(request, TrackForm, "applications/public/track.html")


@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, number: str) -> HttpResponse:
    """The page a notice's QR code opens: it asks for the query code (unless this session checked
    it, or the signed-in owner is looking), then shows the public progress."""
    number = (number or "").strip().upper()[:50]
    code_status = 200
    form = CodeForm()
    if request.method == "POST":
        form = CodeForm(request.POST)
        if not form.is_valid():
            code_status = 400
        else:
            answer = TRACKING.answer(request, form, number, form.cleaned_data["code"])
            if isinstance(answer, HttpResponse):
                return answer
            code_status = answer
    else:
        matter = _by_number(number)
        if isinstance(matter, BundleApplication) and _may_track(request, matter):
            return bundle_pages.progress(request, matter, is_owner=_is_owner(request, matter))
        if isinstance(matter, Application) and _may_track(request, matter):
            return _progress(request, matter)
    return render(
        request, "applications/public/status_code.html", {"number": number, "form": form}, status=code_status
    )


def _progress(request: HttpRequest, application: Application) -> HttpResponse:
    light = light_of(application, Lights())
    delivery = Delivery.objects.filter(application=application).first()
    tracking_number = delivery.tracking_number if delivery is not None else ""
    return render(
        request,
        "applications/public/status.html",
        {
            "application": application,
            "state_label": public_state(application),
            "light": light,
            "light_label": light_label(light),
            "timeline": public_timeline(application),
            "tracking_number": tracking_number,
            "is_owner": _is_owner(request, application),
        },
    )
