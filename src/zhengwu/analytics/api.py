"""REST API of the statistics (/api/analytics/…), included under /api/ by zhengwu.api.urls.

- ``indicators/``: the indicator catalogue (name, family, unit, definition, formula).
- ``figures/``: each indicator for a period, with 环比 and 同比.
- ``breakdown/``: the indicators by department, county-level region or a dimension (the rows a
  page shows and the Excel export writes: figures.table).
- ``series/``: the indicators over the period's days or months.
- ``records/``: the drill-down — the records behind one measure, a page at a time; for a count
  measure ``count`` equals the figure.

Everything reads the roll-up through figures.py, scoped by scope.scope_for: statistics need
``analytics.view_statistics`` (403); a department head sees their own department only, naming
another is 403; an unknown department or region is 404; a bad period, dimension, indicator or
measure is 400; a period outside the data is 422 — each with a Chinese message naming the field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db.models import F, Model, QuerySet
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.appeals.api import AUTHENTICATION
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.core.errors import InvalidInput, NotAllowed, NotFound
from zhengwu.org.models import Department

from . import figures, rollup
from .figures import BREAKDOWNS, CITY_KEY
from .indicators import INDICATORS, Indicator, format_value
from .labels import UNASSIGNED
from .measures import DIMENSIONS, MEASURES, Measure, records
from .periods import Period, check_within, parse_period
from .scope import Scope, may_view, scope_for
from .serializers import (
    BreakdownResponseSerializer,
    FiguresResponseSerializer,
    IndicatorListSerializer,
    RecordsResponseSerializer,
    SeriesResponseSerializer,
)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


# ---------------------------------------------------------------------------------------------
# Permission and input


class MayViewStatistics(permissions.BasePermission):
    """Logged in (else 401) and holding analytics.view_statistics (else 403)."""

    message = "没有查看统计分析的权限"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return may_view(user)


def _text(request: Request, name: str, label: str, *, max_length: int = 200) -> str:
    """A query parameter as text: printable, bounded (a NUL would reach the database)."""
    value = (request.query_params.get(name) or "").strip()
    if len(value) > max_length:
        raise InvalidInput(f"{label}参数过长（最多 {max_length} 个字符）", field=name)
    if any(not ch.isprintable() for ch in value):
        raise InvalidInput(f"{label}参数含有不可见字符", field=name)
    return value


def _id_text(request: Request, name: str, label: str) -> str:
    """A department or region number: ASCII digits only (int() would read other scripts' digits)."""
    value = _text(request, name, label, max_length=20)
    if value and not (value.isascii() and value.isdigit()):
        raise InvalidInput(f"{label}参数应为数字编号，收到“{value[:20]}”", field=name)
    return value


def _scope(request: Request) -> Scope:
    return scope_for(
        request.user,
        department=_id_text(request, "department", "部门"),
        region=_id_text(request, "region", "区划"),
    )


def _period(request: Request) -> Period:
    """The period asked for (400 when unparseable); ``_within`` checks it against the data."""
    return parse_period(_text(request, "period", "期间", max_length=20))


def _within(period: Period) -> None:
    """422 for a period wholly before the data or not begun: checked after every 400."""
    check_within(period, figures.data_start())


def _indicators(request: Request, default: list[Indicator]) -> list[Indicator]:
    text = _text(request, "indicators", "指标", max_length=4000)  # the registry bounds the keys
    if not text:
        return default
    keys = list(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in keys if k not in INDICATORS]
    if unknown:
        raise InvalidInput(
            f"未知的统计指标“{unknown[0][:40]}”，可选的指标见 /api/analytics/indicators/", field="indicators"
        )
    if not keys:
        raise InvalidInput("请填写统计指标代码，多个以逗号分隔", field="indicators")
    return [INDICATORS[k] for k in keys]


def _present(scope: Scope) -> list[Indicator]:
    """The indicators of the families with data in scope: a family without data is left out,
    never shown as zeros."""
    families = figures.present_families(scope.department_ids)
    return [i for i in INDICATORS.values() if i.family in families]


def _dims_of(ind: Indicator) -> list[str]:
    """The dimensions every measure of the indicator can be cut by."""
    common = [d for d in DIMENSIONS if all(d in MEASURES[m].dim_paths for m in ind.measures)]
    return ["department", "region", *common]


def _period_json(p: Period) -> dict[str, Any]:
    return {"value": p.value, "kind": p.kind, "label": p.label, "start": p.start, "end": p.end}


def _scope_json(s: Scope) -> dict[str, Any]:
    return {
        "label": s.label,
        "sees_all": s.sees_all,
        "department": s.department.pk if s.department else None,
        "region": s.region.pk if s.region else None,
    }


def _indicator_ref(i: Indicator) -> dict[str, Any]:
    return {"key": i.key, "name": i.name, "unit": i.unit, "measure": i.numerator}


def _in_data(p: Period, first: date | None, today: date) -> bool:
    return first is not None and p.end > first and p.start <= today


# ---------------------------------------------------------------------------------------------
# Schema pieces


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="期间、指标、维度、度量或编号的格式有误"),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="没有查看统计分析的权限，或部门负责人查看其他部门"),
    404: OpenApiResponse(ErrorSerializer, description="没有这个部门或区划"),
    422: OpenApiResponse(ErrorSerializer, description="期间不在统计数据范围内（早于数据起始日或尚未开始）"),
}
PERIOD = OpenApiParameter(
    "period",
    str,
    description="统计期间：日 2026-06-10、周 2026-W24、月 2026-06、季度 2026-Q2 或年 2026；不填为本月",
)
INDICATORS_PARAM = OpenApiParameter(
    "indicators", str, description="指标代码，多个以逗号分隔（见指标目录）；不填为有数据的全部指标"
)
DEPARTMENT = OpenApiParameter("department", int, description="限定部门编号（部门负责人只能填本部门）")
REGION = OpenApiParameter("region", int, description="限定区划编号（含下级区划的部门）")
SCOPED = [PERIOD, INDICATORS_PARAM, DEPARTMENT, REGION]


# ---------------------------------------------------------------------------------------------
# Views


class StatisticsView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [MayViewStatistics]


@extend_schema(
    tags=["统计分析"],
    summary="指标目录",
    description="全部统计指标：代码、名称、类别、单位、类型、口径说明、计算公式、是否公开、可细分的维度。",
    responses={200: IndicatorListSerializer, 401: ERRORS[401], 403: ERRORS[403]},
)
class IndicatorList(StatisticsView):
    def get(self, request: Request) -> Response:
        rows = [
            {
                "key": i.key,
                "name": i.name,
                "family": i.family,
                "unit": i.unit,
                "kind": i.kind,
                "definition": i.definition,
                "formula": i.formula,
                "public": i.public,
                "higher_is_better": i.higher_is_better,
                "measures": list(i.measures),
                "dims": _dims_of(i),
            }
            for i in INDICATORS.values()
        ]
        return Response(IndicatorListSerializer({"count": len(rows), "results": rows}).data)


@extend_schema(
    tags=["统计分析"],
    summary="指标数值（含环比、同比）",
    description=(
        "某期间各指标的数值，与上一期（环比）和上年同期（同比）比较；比率的变化为百分点，其余为百分比。"
        "范围：全市（可按区划或部门限定）或部门负责人的本部门。"
    ),
    parameters=SCOPED,
    responses={200: FiguresResponseSerializer, **ERRORS},
)
class FiguresView(StatisticsView):
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        period = _period(request)
        inds = _indicators(request, _present(scope))
        _within(period)
        compared = figures.compare(inds, period, department_ids=scope.department_ids)
        results = [
            {
                "key": c.indicator.key,
                "name": c.indicator.name,
                "unit": c.indicator.unit,
                "kind": c.indicator.kind,
                "value": c.current,
                "display": format_value(c.indicator, c.current),
                "previous": c.previous,
                "last_year": c.last_year,
                "change": c.change,
                "change_last_year": c.change_last_year,
                "measure": c.indicator.numerator,
            }
            for c in compared
        ]
        data = {
            "period": _period_json(period),
            "previous_period": _period_json(period.previous()),
            "last_year_period": _period_json(period.last_year()),
            "scope": _scope_json(scope),
            "as_of": rollup.as_of(),
            "results": results,
        }
        return Response(FiguresResponseSerializer(data).data)


def _by(request: Request) -> str:
    by = _text(request, "by", "细分维度", max_length=20) or "department"
    if by not in BREAKDOWNS:
        raise InvalidInput(
            f"未知的细分维度“{by}”，可选：{'、'.join(f'{k}（{v}）' for k, v in BREAKDOWNS.items())}",
            field="by",
        )
    return by


@extend_schema(
    tags=["统计分析"],
    summary="指标细分（按部门、县区或维度）",
    description=(
        "某期间的指标按部门、县区、窗口、工作人员、事项、一件事、渠道、诉求分类或诉求类型细分，"
        "按第一个指标的分子从大到小排列；与页面和 Excel 导出的表格一致。"
        "每行可用 records 接口下钻：measure=指标的度量、dim=by、key=行的 key。"
    ),
    parameters=[
        *SCOPED,
        OpenApiParameter("by", str, enum=list(BREAKDOWNS), description="细分维度，默认 department（部门）"),
    ],
    responses={200: BreakdownResponseSerializer, **ERRORS},
)
class BreakdownView(StatisticsView):
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        by = _by(request)
        period = _period(request)
        inds = _indicators(request, [i for i in _present(scope) if by in _dims_of(i)])
        cannot = [i for i in inds if by not in _dims_of(i)]
        if cannot:
            raise InvalidInput(f"指标“{cannot[0].name}”不能按“{BREAKDOWNS[by]}”细分", field="by")
        _within(period)
        rows = figures.table(inds, period, by, department_ids=scope.department_ids) if inds else []
        by_key = {i.key: i for i in inds}
        data = {
            "by": by,
            "by_label": BREAKDOWNS[by],
            "period": _period_json(period),
            "scope": _scope_json(scope),
            "as_of": rollup.as_of(),
            "indicators": [_indicator_ref(i) for i in inds],
            "rows": [
                {
                    "key": key,
                    "label": label,
                    "values": vals,
                    "display": {k: format_value(by_key[k], v) for k, v in vals.items()},
                }
                for key, label, vals, _sums in rows
            ],
        }
        return Response(BreakdownResponseSerializer(data).data)


@extend_schema(
    tags=["统计分析"],
    summary="指标趋势",
    description=(
        "某期间按日（周、月）或按月（季度、年）分段的指标数值，用于趋势图；"
        "早于数据起始日或尚未开始的分段为 null，不以 0 代替。"
    ),
    parameters=SCOPED,
    responses={200: SeriesResponseSerializer, **ERRORS},
)
class SeriesView(StatisticsView):
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        period = _period(request)
        inds = _indicators(request, _present(scope))
        _within(period)
        ms = figures.measures_for(inds)
        first, today = figures.data_start(), timezone.localdate()
        buckets = []
        for bucket, sums in figures.series(ms, period, department_ids=scope.department_ids):
            known = _in_data(bucket, first, today)
            buckets.append(
                {
                    "period": _period_json(bucket),
                    "values": {i.key: i.value(sums) if known else None for i in inds},
                }
            )
        data = {
            "period": _period_json(period),
            "scope": _scope_json(scope),
            "as_of": rollup.as_of(),
            "indicators": [_indicator_ref(i) for i in inds],
            "buckets": buckets,
        }
        return Response(SeriesResponseSerializer(data).data)


# ---------------------------------------------------------------------------------------------
# Drill-down


def _measure(request: Request) -> Measure:
    key = _text(request, "measure", "度量", max_length=40)
    if not key:
        raise InvalidInput("请指定要下钻的统计度量（measure）", field="measure")
    if key not in MEASURES:
        raise InvalidInput(f"未知的统计度量“{key}”，可选的度量见指标目录的 measures", field="measure")
    return MEASURES[key]


def _narrow(scope: Scope, ids: set[int]) -> frozenset[int]:
    """A breakdown row's departments within the scope; a department head naming a row of other
    departments is refused, as naming another department is."""
    narrowed = frozenset(ids if scope.department_ids is None else ids & scope.department_ids)
    if not narrowed and not scope.sees_all:
        raise NotAllowed("只能查看本部门的统计，不能下钻其他部门或区划", field="key")
    return narrowed


def _drill_scope(scope: Scope, m: Measure, dim: str, key: str) -> tuple[frozenset[int] | None, str]:
    """The departments and the dimension the drill-down reads: a department or county-level row of
    a breakdown narrows the departments (within the viewer's scope); any other dimension is passed
    to the measure."""
    if dim and not key:
        raise InvalidInput("按维度下钻时须填写维度取值（key）", field="key")
    if not dim:
        return scope.department_ids, ""
    if dim == "department":
        if not (key.isascii() and key.isdigit() and len(key) <= 12):
            raise InvalidInput(f"部门取值应为部门编号，收到“{key[:20]}”", field="key")
        return _narrow(scope, {int(key)}), ""
    if dim == "region":
        if key != CITY_KEY and not (key.isascii() and key.isdigit() and len(key) <= 12):
            raise InvalidInput(f"县区取值应为区划编号或 {CITY_KEY}（市级），收到“{key[:20]}”", field="key")
        regions = dict(Department.objects.values_list("pk", "region_id"))
        ids = {d for d, r in regions.items() if figures.county_of(r) == key}
        if key == CITY_KEY:
            ids.add(0)
        return _narrow(scope, ids), ""
    if dim not in DIMENSIONS:
        raise InvalidInput(
            f"未知的下钻维度“{dim}”，可选：{'、'.join(f'{k}（{v}）' for k, v in BREAKDOWNS.items())}",
            field="dim",
        )
    if dim not in m.dim_paths:
        raise InvalidInput(f"“{m.name}”不能按“{DIMENSIONS[dim]}”细分", field="dim")
    return scope.department_ids, dim


def _page_number(request: Request, name: str, label: str, default: int, maximum: int) -> int:
    text = _text(request, name, label, max_length=9)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise InvalidInput(f"{label}应为正整数，收到“{text}”", field=name)
    return min(int(text), maximum)


def _fields(model: type[Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


def _title(record: Any, fields: set[str], label: str) -> str:
    """A short title without personal data: the record's own title, else its service item."""
    if "title" in fields and record.title:
        return str(record.title)
    if "item" in fields and getattr(record, "item_id", None):
        return str(record.item.name)
    return label


def _rows(m: Measure, page: list[Any], fields: set[str], value_names: list[str]) -> list[dict[str, Any]]:
    depts = {r.stat_department or 0 for r in page}
    names = dict(Department.objects.filter(pk__in=depts - {0}).values_list("pk", "name"))
    names[0] = UNASSIGNED
    out = []
    for r in page:
        if m.source.describe is not None:
            number, title, url = m.source.describe(r)
        else:
            number = str(getattr(r, "number", "") or r.pk)
            title, url = _title(r, fields, m.source.label), ""
        value: Decimal | None = Decimal(1)
        if not m.counts_records:
            raw = m.record_value({name: getattr(r, f"stat_v{i}") for i, name in enumerate(value_names)})
            value = None if raw is None else Decimal(raw) / m.scale
        dept = r.stat_department or 0
        out.append(
            {
                "id": r.pk,
                "number": number,
                "title": title,
                "department": {"id": dept, "name": names.get(dept, str(dept))},
                "at": r.stat_at,
                "value": value,
                "url": url,
            }
        )
    return out


def _figure(m: Measure, period: Period, ids: frozenset[int] | None, dim: str, key: str) -> Decimal:
    if ids is not None and not ids:
        return Decimal(0)
    total = figures.sums([m.key], period.start, period.end, department_ids=ids, dim=dim, key=key).get(
        m.key, 0
    )
    return Decimal(total) / m.scale


@extend_schema(
    tags=["统计分析"],
    summary="下钻明细",
    description=(
        "一个度量在某期间、范围和维度取值下的记录（办件编号或工单号、简要标题、部门、计时时间），"
        "按时间从新到旧分页；计数度量的 count 等于汇总数值 figure。不含身份证号、电话等个人信息。"
        "dim 为 department 或 region 时按部门或县区（key=city 为市级）下钻。"
    ),
    parameters=[
        OpenApiParameter("measure", str, required=True, description="度量代码（见指标目录的 measures）"),
        PERIOD,
        DEPARTMENT,
        REGION,
        OpenApiParameter(
            "dim", str, enum=list(BREAKDOWNS), description="下钻维度（与 breakdown 的 by 相同），不填为合计"
        ),
        OpenApiParameter("key", str, description="维度取值（breakdown 行的 key）"),
        OpenApiParameter("page", int, description="页码，从 1 开始"),
        OpenApiParameter("page_size", int, description=f"每页条数，默认 {PAGE_SIZE}，最多 {MAX_PAGE_SIZE}"),
    ],
    responses={200: RecordsResponseSerializer, **ERRORS},
)
class RecordsView(StatisticsView):
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        m = _measure(request)
        period = _period(request)
        dim = _text(request, "dim", "下钻维度", max_length=20)
        key = _text(request, "key", "维度取值", max_length=40)
        ids, measure_dim = _drill_scope(scope, m, dim, key)
        page_no = _page_number(request, "page", "页码", 1, 10**8)
        size = _page_number(request, "page_size", "每页条数", PAGE_SIZE, MAX_PAGE_SIZE)
        _within(period)

        qs: QuerySet[Any] = records(
            m, period.start, period.end, department_ids=ids, dim=measure_dim, key=key if measure_dim else ""
        )
        model = qs.model
        fields = _fields(model)
        value_names = list(dict.fromkeys((m.at, m.department_path, *m.dim_paths.values(), *m.record_fields)))
        qs = qs.annotate(
            stat_at=F(m.at),
            stat_department=F(m.department_path),
            **({f"stat_v{i}": F(name) for i, name in enumerate(value_names)} if not m.counts_records else {}),
        )
        if "item" in fields and m.source.describe is None:
            qs = qs.select_related("item")
        qs = qs.order_by(f"-{m.at}", "-pk")
        paginator = Paginator(qs, size)
        try:
            page = paginator.page(page_no)
        except EmptyPage:
            raise NotFound(f"没有第 {page_no} 页，共 {paginator.num_pages} 页", field="page") from None
        rows = _rows(m, list(page.object_list), fields, value_names)

        def link(n: int) -> str:
            params = request.query_params.copy()
            params["page"] = str(n)
            return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

        data = {
            "measure": {
                "key": m.key,
                "name": m.name,
                "unit": m.unit,
                "definition": m.definition,
                "counts_records": m.counts_records,
            },
            "period": _period_json(period),
            "scope": _scope_json(scope),
            "dim": dim,
            "key": key if dim else "",
            "figure": _figure(m, period, ids, measure_dim, key),
            "as_of": rollup.as_of(),
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "page_size": size,
            "next": link(page.number + 1) if page.has_next() else None,
            "previous": link(page.number - 1) if page.has_previous() else None,
            "results": rows,
        }
        return Response(RecordsResponseSerializer(data).data)


urlpatterns: list[URLPattern] = [
    path("analytics/indicators/", IndicatorList.as_view(), name="analytics-indicators"),
    path("analytics/figures/", FiguresView.as_view(), name="analytics-figures"),
    path("analytics/breakdown/", BreakdownView.as_view(), name="analytics-breakdown"),
    path("analytics/series/", SeriesView.as_view(), name="analytics-series"),
    path("analytics/records/", RecordsView.as_view(), name="analytics-records"),
]
