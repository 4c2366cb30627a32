"""差评整改 and 申诉复核 for staff, mounted at /ratings/: the department's rectification cases
(lights from the 回访核实 and 整改 limits, search, Excel), one case with the form of its current
step, a department's 申诉 of a rating, and the supervisor's pending 申诉 to decide.

Who: staff of a department see its cases; city-wide roles see all. Another department's case or
rating is 404. The services decide who may act and refuse with 403/409 and a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.casework.deadlines import Lights
from zhengwu.core.errors import DomainError
from zhengwu.core.excel import xlsx_response

from . import exports, services, urging
from .models import ContestState, Outcome, Rating, RatingContest, Rectification, RectificationState
from .staff_forms import (
    CloseForm,
    ContestForm,
    DecideForm,
    FilterForm,
    RectifiedForm,
    ResolveForm,
    UrgeForm,
    VerifyForm,
)

PAGE_SIZE = 50
P_DECIDE = "ratings.decide_ratingcontest"
NOT_FOUND = "没有找到该差评整改"


# ---------------------------------------------------------------------------------------------
# Who sees what (the API reads these too)


def may_handle_ratings(user: Any) -> bool:
    """Staff of a department, or a city-wide role."""
    if not (getattr(user, "is_authenticated", False) and user.is_staff and user.is_active):
        return False
    return bool(user.department_id or user.sees_all_departments)


def may_decide_contests(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(P_DECIDE))


def visible_cases(user: Any) -> QuerySet[Rectification]:
    if not may_handle_ratings(user):
        return Rectification.objects.none()
    qs = Rectification.objects.select_related("rating", "department", "rating__item")
    return qs if user.sees_all_departments else qs.filter(department_id=user.department_id)


def visible_ratings(user: Any) -> QuerySet[Rating]:
    if not may_handle_ratings(user):
        return Rating.objects.none()
    qs = Rating.objects.select_related("department")
    return qs if user.sees_all_departments else qs.filter(department_id=user.department_id)


def search_cases(qs: QuerySet[Rectification], q: str = "", state: str = "") -> QuerySet[Rectification]:
    q = q.strip()
    if q:
        qs = qs.filter(rating__matter_number__icontains=q)
    if state:
        qs = qs.filter(state=state)
    return qs


def light_of(case: Rectification, lights: Lights) -> str:
    """Red, yellow or green by the limit the case runs against now: 回访核实 until verified, then
    the 整改 limit of a 限期整改; a finished step is green or red by whether it met its limit."""
    rated = case.rating.rated_at
    if case.state == RectificationState.VERIFYING:
        return lights(rated, case.verify_due_at)
    if case.fix_due_at is not None:
        done = case.rectified_at if case.state != RectificationState.RECTIFYING else None
        return lights(case.verified_at or rated, case.fix_due_at, done_at=done)
    return lights(rated, case.verify_due_at, done_at=case.verified_at)


def step_of(case: Rectification) -> str:
    """The step the case waits for: verify, resolve, rectified, close — or "" once closed."""
    if case.state == RectificationState.VERIFYING:
        return "verify"
    if case.state == RectificationState.RECTIFYING:
        return "rectified" if case.outcome == Outcome.DEADLINE else "resolve"
    if case.state == RectificationState.FEEDBACK:
        return "close"
    return ""


STEP_FORMS: dict[str, type[Form]] = {
    "verify": VerifyForm,
    "resolve": ResolveForm,
    "rectified": RectifiedForm,
    "close": CloseForm,
}


def run_step(step: str, case: Rectification, by: Any, data: dict[str, Any]) -> Rectification:
    """One step of the loop through its service (the API calls this too)."""
    if step == "verify":
        return services.verify(case=case, by=by, reached=data["reached"], facts=data.get("facts", ""))
    if step == "resolve":
        return services.resolve(
            case=case,
            by=by,
            outcome=data.get("outcome", ""),
            plan=data.get("plan", ""),
            evidence=data.get("evidence", ""),
        )
    if step == "rectified":
        return services.rectified(case=case, by=by, evidence=data.get("evidence", ""))
    return services.close(case=case, by=by, feedback=data.get("feedback", ""))


# ---------------------------------------------------------------------------------------------
# Pages


def _guard(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_handle_ratings(request.user):
        raise PermissionDenied("只有部门工作人员可以处理差评整改")
    return None


def _case(request: HttpRequest, pk: int) -> Rectification:
    found = visible_cases(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(NOT_FOUND)
    return found


def _place(form: Form, e: DomainError) -> None:
    form.add_error(e.field if e.field in form.fields else None, e.message)


@never_cache
@require_GET
def case_list(request: HttpRequest) -> HttpResponseBase:
    if (stop := _guard(request)) is not None:
        return stop
    form = FilterForm(request.GET or None)
    qs = visible_cases(request.user)
    if form.is_valid():
        qs = search_cases(qs, form.cleaned_data.get("q") or "", form.cleaned_data.get("state") or "")
    lights = Lights()
    if request.GET.get("format") == "xlsx":
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return xlsx_response(exports.rectifications_xlsx(qs, lights=lights), f"差评整改-{stamp}.xlsx")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(case, light_of(case, lights)) for case in page.object_list]
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query["format"] = "xlsx"
    unverified = services.unverified_real_name_bad(visible_ratings(request.user)).order_by("rated_at")
    return render(
        request,
        "ratings/staff/list.html",
        {
            "page_obj": page,
            "rows": rows,
            "form": form,
            "export_query": export_query.urlencode(),
            "unverified": unverified[:100],
            "unverified_count": unverified.count(),
        },
    )


def _case_page(
    request: HttpRequest,
    case: Rectification,
    *,
    step_form: Form | None = None,
    urge_form: Form | None = None,
    status: int = 200,
) -> HttpResponse:
    own = request.user.is_superuser or getattr(request.user, "department_id", None) == case.department_id
    step = step_of(case) if own else ""  # only the unit that handled the matter acts on the case
    if step_form is None and step:
        step_form = STEP_FORMS[step]()
    contests = case.rating.contests.select_related("filed_by", "decided_by")
    pending = any(c.state == ContestState.PENDING for c in contests)
    context = {
        "case": case,
        "rating": case.rating,
        "light": light_of(case, Lights()),
        "step": step,
        "step_form": step_form,
        "contests": contests,
        "contest_form": None if pending or case.rating.excluded or not own else ContestForm(),
        "urges": case.urges.select_related("by"),
        "urge_form": (urge_form or UrgeForm())
        if case.state != RectificationState.CLOSED and request.user.has_perm(urging.P_URGE)
        else None,
    }
    return render(request, "ratings/staff/case.html", context, status=status)


@never_cache
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (stop := _guard(request)) is not None:
        return stop
    return _case_page(request, _case(request, pk))


@never_cache
@require_POST
def case_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """verify / resolve / rectified / close, each through its service."""
    if (stop := _guard(request)) is not None:
        return stop
    case = _case(request, pk)
    if step not in STEP_FORMS:
        raise Http404("没有该步骤")
    form = STEP_FORMS[step](request.POST)
    if not form.is_valid():
        return _case_page(request, case, step_form=form, status=400)
    data = dict(form.cleaned_data)
    if "reached" in data:
        data["reached"] = data["reached"] == "yes"
    try:
        case = run_step(step, case, request.user, data)
    except DomainError as e:
        _place(form, e)
        if step != step_of(case):
            messages.error(request, e.message)
            return _case_page(request, case, status=e.status)
        return _case_page(request, case, step_form=form, status=e.status)
    messages.success(request, f"已保存，差评整改当前为“{case.get_state_display()}”")
    return redirect("ratings:case", case.pk)


@never_cache
@require_POST
def urge(request: HttpRequest, pk: int) -> HttpResponse:
    """催办: a supervisor asks the department to act on an open case."""
    if (stop := _guard(request)) is not None:
        return stop
    case = _case(request, pk)
    form = UrgeForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, urge_form=form, status=400)
    try:
        urging.urge(case=case, by=request.user, note=form.cleaned_data["note"])
    except DomainError as e:
        _place(form, e)
        if case.state == RectificationState.CLOSED:  # no form on the page to carry the message
            messages.error(request, e.message)
        return _case_page(request, case, urge_form=form, status=e.status)
    messages.success(request, f"已向{case.department.name}发出催办")
    return redirect("ratings:case", case.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def contest(request: HttpRequest, pk: int) -> HttpResponse:
    """申诉: the department contests a rating of its own with reason and evidence."""
    if (stop := _guard(request)) is not None:
        return stop
    rating = visible_ratings(request.user).filter(pk=pk).first()
    if rating is None:
        raise Http404("没有找到该评价")
    form = ContestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.contest(rating=rating, by=request.user, **form.cleaned_data)
            except DomainError as e:
                _place(form, e)
                status = e.status
            else:
                messages.success(request, "申诉已提交，待督办人员复核")
                case = Rectification.objects.filter(rating=rating).first()
                return redirect("ratings:case", case.pk) if case else redirect("ratings:list")
    return render(request, "ratings/staff/contest.html", {"rating": rating, "form": form}, status=status)


def _supervisor(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_decide_contests(request.user):
        raise PermissionDenied("只有督办人员可以复核评价申诉")
    return None


@never_cache
@require_GET
def contest_list(request: HttpRequest) -> HttpResponse:
    if (stop := _supervisor(request)) is not None:
        return stop
    qs = RatingContest.objects.filter(state=ContestState.PENDING).select_related(
        "rating", "department", "filed_by"
    )
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(rating__matter_number__icontains=q) | Q(department__name__icontains=q))
    page = Paginator(qs.order_by("created_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ratings/staff/contests.html", {"page_obj": page, "q": q})


@never_cache
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """复核: uphold (the rating leaves the figures, stays on record) or reject, with a decision."""
    if (stop := _supervisor(request)) is not None:
        return stop
    found = RatingContest.objects.select_related("rating", "department", "filed_by").filter(pk=pk).first()
    if found is None:
        raise Http404("没有找到该申诉")
    form = DecideForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.decide_contest(
                    contest=found,
                    by=request.user,
                    upheld=form.cleaned_data["upheld"] == "yes",
                    decision=form.cleaned_data["decision"],
                )
            except DomainError as e:
                _place(form, e)
                status = e.status
            else:
                messages.success(request, "已复核")
                return redirect("ratings:contests")
    return render(request, "ratings/staff/decide.html", {"contest": found, "form": form}, status=status)
