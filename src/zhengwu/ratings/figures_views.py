"""评价公示 (public, /ratings/public/) and the staff figures (/ratings/figures/): 评价数, 好评率,
差评数, 整改率 per department, window or item for a month, quarter or year; for staff also
实名差评回访率, the drill-down to the ratings behind each figure, Excel of both, and the GB/T 39046
表9 export.

Who: anyone reads the public page (names of departments, windows and items only — no personal
data). Staff of a department see their own department's rows and ratings; users who see all
departments (leader, supervisor, admin) see all. Another department's drill-down is 404. A bad
parameter (月份 13, an unknown 维度) is 400 with a Chinese message."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zhengwu.core.errors import InvalidInput
from zhengwu.core.excel import xlsx_response

from . import exports, standard
from .figures import (
    DIMENSIONS,
    KINDS,
    Period,
    counted,
    dimension_of,
    drill_down,
    figures_by,
    kind_of,
    parse_period,
    quick_periods,
    total,
)
from .models import Rating
from .views import may_handle_ratings, visible_ratings

PAGE_SIZE = 50


def _bad_request(request: HttpRequest, e: InvalidInput) -> HttpResponse:
    return render(request, "ratings/public/error.html", {"message": e.message}, status=400)


def _int(value: str | None, field: str, label: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise InvalidInput(f"{label}参数应为数字编号，收到“{text[:20]}”", field=field)
    return int(text)


def _base(request: HttpRequest) -> dict[str, Any]:
    """by and period of a figures page, checked (InvalidInput on nonsense)."""
    dimension = dimension_of(request.GET.get("by"))
    period = parse_period(request.GET.get("period"))
    return {
        "dimension": dimension,
        "period": period,
        "dimensions": list(DIMENSIONS.values()),
        "quick_periods": quick_periods(),
    }


# ---------------------------------------------------------------------------------------------
# 评价公示


@require_GET
def public_figures(request: HttpRequest) -> HttpResponse:
    try:
        context = _base(request)
    except InvalidInput as e:
        return _bad_request(request, e)
    rows = figures_by(context["dimension"], context["period"])
    context.update(rows=rows, total=total(rows))
    return render(request, "ratings/public/figures.html", context)


# ---------------------------------------------------------------------------------------------
# Staff


def _guard(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_handle_ratings(request.user):
        raise PermissionDenied("只有部门工作人员和全市统计人员可以查看评价统计")
    return None


def scope_label(user: Any) -> str:
    return "全市各部门" if user.sees_all_departments else f"本部门（{user.department}）"


@never_cache
@require_GET
def staff_figures(request: HttpRequest) -> HttpResponseBase:
    if (stop := _guard(request)) is not None:
        return stop
    try:
        context = _base(request)
    except InvalidInput as e:
        return _bad_request(request, e)
    dimension, period = context["dimension"], context["period"]
    rows = figures_by(dimension, period, visible_ratings(request.user))
    if request.GET.get("format") == "xlsx":
        data = exports.figures_xlsx(rows, dimension_label=dimension.label, period_label=period.label)
        return xlsx_response(data, f"评价统计-{dimension.label}-{period.value}.xlsx")
    context.update(rows=rows, total=total(rows), scope=scope_label(request.user), kinds=KINDS)
    return render(request, "ratings/figures/figures.html", context)


def _drill_params(request: HttpRequest) -> dict[str, Any]:
    g = request.GET
    return {
        "period": parse_period(g.get("period")),
        "kind": kind_of(g.get("kind")),
        "department": _int(g.get("department"), "department", "部门"),
        "window": _int(g.get("window"), "window", "窗口"),
        "item": _int(g.get("item"), "item", "事项"),
    }


def staff_drill_down(request: HttpRequest, params: dict[str, Any]) -> QuerySet[Rating]:
    """The ratings behind a figure, within what the user may see; another department's is 404."""
    user: Any = request.user
    department = params["department"]
    if department is not None and not user.sees_all_departments and department != user.department_id:
        raise Http404("没有找到该部门的评价")
    return drill_down(
        visible_ratings(user),
        params["period"],
        kind=params["kind"],
        department=department,
        window=params["window"],
        item=params["item"],
    )


def _subject(params: dict[str, Any]) -> str:
    """What the drill-down is about: the department, window and item named in the parameters."""
    from zhengwu.catalog.models import ServiceItem
    from zhengwu.org.models import Department, Window

    names = []
    for field, model in (("department", Department), ("window", Window), ("item", ServiceItem)):
        if params[field] is not None:
            found = model.objects.filter(pk=params[field]).first()
            names.append(str(found) if found is not None else "")
    return " · ".join(n for n in names if n)


@never_cache
@require_GET
def rating_list(request: HttpRequest) -> HttpResponseBase:
    """The drill-down: the ratings behind one figure, searchable by 办件编号, paginated, Excel."""
    if (stop := _guard(request)) is not None:
        return stop
    try:
        params = _drill_params(request)
    except InvalidInput as e:
        return _bad_request(request, e)
    qs = staff_drill_down(request, params)
    q = (request.GET.get("q") or "").strip()[:40]
    if q:
        qs = qs.filter(matter_number__icontains=q)
    period: Period = params["period"]
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            exports.ratings_xlsx(qs), f"评价明细-{KINDS[params['kind']]}-{period.value}.xlsx"
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query["format"] = "xlsx"
    subject = _subject(params)
    counted_count = counted(qs).count() if params["kind"] == "all" else page.paginator.count
    return render(
        request,
        "ratings/figures/ratings.html",
        {
            "page_obj": page,
            "period": period,
            "kind": params["kind"],
            "kind_label": KINDS[params["kind"]],
            "kinds": KINDS,
            "params": params,
            "q": q,
            "subject": subject,
            "counted_count": counted_count,
            "excluded_count": page.paginator.count - counted_count,
            "export_query": export_query.urlencode(),
            "scope": scope_label(request.user),
        },
    )


@never_cache
@require_GET
def export_gbt39046(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """GB/T 39046 表9 records of the period's ratings (own department unless all departments)."""
    if (stop := _guard(request)) is not None:
        return stop
    try:
        period = parse_period(request.GET.get("period"))
        department = _int(request.GET.get("department"), "department", "部门")
    except InvalidInput as e:
        return _bad_request(request, e)
    user: Any = request.user
    if department is not None and not user.sees_all_departments and department != user.department_id:
        raise Http404("没有找到该部门的评价")
    qs = standard.ratings_for_export(visible_ratings(user), period, department=department)
    name = f"好差评数据-GBT39046-{period.value}"
    if fmt == "json":
        response = JsonResponse(standard.as_json(qs, period), json_dumps_params={"ensure_ascii": False})
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}.json"
        return response
    return xlsx_response(standard.as_xlsx(qs, period), f"{name}.xlsx")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)
