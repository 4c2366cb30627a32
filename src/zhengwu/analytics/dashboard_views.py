"""The statistics pages (/stats/): the city overview (for a department head, their department's),
the window's day, the records behind any figure, the public figures and the demo city's map.

Every figure comes from the roll-up (figures.py) except today's live counters and the window's
day, which count today's records through ``measures.records`` — the same definition, so a figure
and its drill-down agree. Every figure is a link to ``records`` with the measure, the period, the
scope (department or region) and the breakdown key; a rate links its numerator and denominator.

Who sees what is scope.py's: leaders and supervisors the city, a department head their own
department (another department is 403). Bad input is a Chinese message with its status: 400
unparseable, 403 not allowed, 404 unknown department or region, 422 a period outside the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zhengwu.core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from zhengwu.core.excel import xlsx_response
from zhengwu.org.models import Department, Level, Region, Window

from . import exports, figures, geo, measures, rollup
from .indicators import FAMILIES, INDICATORS, Indicator, format_value, of_family
from .indicators import indicator as indicator_named
from .measures import DIMENSIONS, Measure
from .periods import KINDS, Period, check_within, parse_period, period_containing
from .scope import Scope, may_view, scope_for

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
BAR_ROWS = 15
LIVE_PER_FAMILY = 2
BREAKDOWN_LABELS = figures.BREAKDOWNS


# ---------------------------------------------------------------------------------------------
# Errors and access


def _fail(request: HttpRequest, e: DomainError) -> HttpResponse:
    titles = {400: "参数有误", 403: "无权查看", 404: "没有找到", 409: "状态冲突", 422: "无法统计"}
    return render(
        request,
        "analytics/error.html",
        {
            "message": e.message,
            "status": e.status,
            "title": titles.get(e.status, "无法统计"),
            "field": e.field,
        },
        status=e.status,
    )


def _staff_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in (else the login page), a domain refusal rendered as its page and status."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except DomainError as e:
            return _fail(request, e)

    return never_cache(require_GET(wrapped))


# ---------------------------------------------------------------------------------------------
# Parameters


def _text(request: HttpRequest, name: str, limit: int = 40) -> str:
    return (request.GET.get(name) or "").strip()[:limit]


def _period(request: HttpRequest, default_kind: str = "month") -> Period:
    """The ``period`` parameter (400 unparseable, 422 outside the data). Without one, the current
    period, even before any data (the page says there is none)."""
    given = _text(request, "period")
    period = parse_period(given, default_kind=default_kind)
    if given:
        check_within(period, figures.data_start())
    return period


def _scope(request: HttpRequest) -> Scope:
    return scope_for(request.user, department=_text(request, "department"), region=_text(request, "region"))


def _scope_params(scope: Scope) -> dict[str, str]:
    if scope.department is not None and scope.sees_all:
        return {"department": str(scope.department.pk)}
    if scope.region is not None:
        return {"region": str(scope.region.pk)}
    return {}


def _ids(scope: Scope) -> list[int] | None:
    return None if scope.department_ids is None else sorted(scope.department_ids)


def _query(base: dict[str, str], **changes: str | None) -> str:
    merged = {**base, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v})


def records_url(
    measure: str, period: Period, scope_params: dict[str, str], dim: str = "", key: str = ""
) -> str:
    params = {"measure": measure, "period": period.value, **scope_params}
    if dim:
        params.update(dim=dim, key=key)
    return reverse("analytics:records") + "?" + urlencode(params)


def _measure_amount(m: Measure, total: int) -> str:
    if m.scale == 1:
        return f"{total:,}"
    return f"{Decimal(total) / m.scale:,.2f}"


# ---------------------------------------------------------------------------------------------
# Figures with their links


@dataclass
class Link:
    label: str
    text: str
    url: str


@dataclass
class Headline:
    indicator: Indicator
    text: str
    change: Decimal | None
    change_last_year: Decimal | None
    url: str = ""  # a count's own link
    parts: list[Link] = field(default_factory=list)  # a rate's or average's numerator and denominator

    @property
    def change_unit(self) -> str:
        return "个百分点" if self.indicator.kind == "rate" else "%"


def _parts(ind: Indicator, s: dict[str, int], link: Callable[[str], str]) -> list[Link]:
    if ind.kind == "count":
        return []
    out = []
    roles = [("分子", ind.numerator)]
    several = len(ind.denominators) > 1
    roles += [(f"分母之{i + 1}" if several else "分母", key) for i, key in enumerate(ind.denominators)]
    for role, key in roles:
        m = measures.MEASURES[key]
        out.append(Link(f"{role}：{m.name}", _measure_amount(m, s.get(key, 0)), link(key)))
    return out


def headlines(inds: list[Indicator], period: Period, scope: Scope) -> list[Headline]:
    ids = _ids(scope)
    params = _scope_params(scope)
    compared = figures.compare(inds, period, department_ids=ids)
    s = figures.sums(figures.measures_for(inds), period.start, period.end, department_ids=ids)
    out = []
    for c in compared:
        ind = c.indicator

        def link(key: str) -> str:
            return records_url(key, period, params)

        out.append(
            Headline(
                ind,
                format_value(ind, c.current),
                c.change,
                c.change_last_year,
                url=link(ind.numerator) if ind.kind == "count" else "",
                parts=_parts(ind, s, link),
            )
        )
    return out


@dataclass
class Cell:
    text: str
    url: str = ""
    parts: list[Link] = field(default_factory=list)


@dataclass
class Row:
    key: str
    label: str
    cells: list[Cell]
    values: dict[str, Decimal | None]


def _applies(ind: Indicator, by: str) -> bool:
    """Whether every measure of the indicator can be cut by ``by`` (department and region always)."""
    if by not in DIMENSIONS:
        return True
    return all(by in measures.MEASURES[m].dim_paths for m in ind.measures)


def breakdown_rows(inds: list[Indicator], period: Period, by: str, scope: Scope) -> list[Row]:
    params = _scope_params(scope)
    out = []
    for key, label, vals, s in figures.table(inds, period, by, department_ids=_ids(scope)):
        cells = []
        for ind in inds:
            if not _applies(ind, by):
                cells.append(Cell("—"))
                continue

            def link(m: str, key: str = key) -> str:
                return records_url(m, period, params, by, key)

            if ind.kind == "count":
                cells.append(Cell(format_value(ind, vals[ind.key]), link(ind.numerator)))
            else:
                cells.append(Cell(format_value(ind, vals[ind.key]), parts=_parts(ind, s, link)))
        out.append(Row(key, label, cells, vals))
    return out


def total_row(inds: list[Indicator], period: Period, scope: Scope) -> Row:
    ids = _ids(scope)
    params = _scope_params(scope)
    s = figures.sums(figures.measures_for(inds), period.start, period.end, department_ids=ids)
    vals = figures.values(inds, s)
    cells = []
    for ind in inds:

        def link(m: str) -> str:
            return records_url(m, period, params)

        if ind.kind == "count":
            cells.append(Cell(format_value(ind, vals[ind.key]), link(ind.numerator)))
        else:
            cells.append(Cell(format_value(ind, vals[ind.key]), parts=_parts(ind, s, link)))
    return Row("", "合计", cells, vals)


@dataclass
class Live:
    label: str
    value: int
    url: str = ""


def _today() -> Period:
    return period_containing("day", timezone.localdate())


def live_counters(scope: Scope, families: Iterable[str]) -> list[Live]:
    """Today's counts read from the sources (not the roll-up): the first count indicators of each
    family present, and for the city the numbers now waiting in the halls."""
    today = _today()
    ids = _ids(scope)
    params = _scope_params(scope)
    out = []
    for fam in families:
        shown = 0
        for ind in of_family(fam):
            m = measures.MEASURES[ind.numerator]
            if ind.kind != "count" or not m.counts_records or shown >= LIVE_PER_FAMILY:
                continue
            n = measures.records(m, today.start, today.end, department_ids=ids).count()
            label = ind.name if fam == "办件" else f"{fam}{ind.name}" if fam == "12345" else ind.name
            out.append(Live(f"今日{label}", n, records_url(m.key, today, params)))
            shown += 1
    if scope.department_ids is None:
        from zhengwu.hall.models import QueueTicket, TicketState

        waiting = QueueTicket.objects.filter(
            day=today.start, state=TicketState.WAITING, checked_in_at__isnull=False
        ).count()
        out.append(Live("当前等候", waiting))
    return out


def _as_of_text() -> str:
    at = rollup.as_of()
    if at is None:
        return "尚未汇总"
    local = timezone.localtime(at)
    if local.date() == timezone.localdate():
        return f"数据截至 {local:%H:%M}"
    return f"数据截至 {local.year}年{local.month}月{local.day}日 {local:%H:%M}"


# ---------------------------------------------------------------------------------------------
# Pickers


def _period_links(period: Period, base: dict[str, str]) -> dict[str, Any]:
    today = timezone.localdate()
    anchor = today if period.contains(today) else period.start
    kinds = [
        {
            "label": label,
            "current": kind == period.kind,
            "url": _query(base, period=period_containing(kind, anchor).value),
        }
        for kind, label in KINDS.items()
    ]
    nxt = period_containing(period.kind, period.end)
    return {
        "kinds": kinds,
        "previous_url": _query(base, period=period.previous().value),
        "next_url": _query(base, period=nxt.value) if nxt.start <= today else "",
        "this_url": _query(base, period=period_containing(period.kind, today).value),
    }


def region_choices() -> list[tuple[int, str]]:
    """市 → 县区 → 乡镇街道 of the demo city, indented."""
    city = geo.city()
    if city is None:
        return []
    counties = geo.counties(city)
    towns: dict[int, list[Region]] = {}
    for town in Region.objects.filter(parent__in=counties, level=Level.TOWN).order_by("code", "pk"):
        towns.setdefault(town.parent_id or 0, []).append(town)
    out = [(city.pk, city.name)]
    for county in counties:
        out.append((county.pk, f"　{county.name}"))
        out += [(town.pk, f"　　{town.name}") for town in towns.get(county.pk, [])]
    return out


# ---------------------------------------------------------------------------------------------
# The overview


def _chosen_indicator(request: HttpRequest, present: list[Indicator]) -> Indicator | None:
    key = _text(request, "ind")
    if key:
        return indicator_named(key)
    return present[0] if present else None


def _by(request: HttpRequest, scope: Scope) -> str:
    by = _text(request, "by", 20) or (
        "department" if scope.sees_all and scope.department is None else "window"
    )
    if by not in BREAKDOWN_LABELS:
        raise InvalidInput(
            f"未知的统计维度“{by}”，可选：{'、'.join(BREAKDOWN_LABELS.values())}",
            field="by",
        )
    return by


def _chart_rows(
    ind: Indicator, period: Period, by: str, scope: Scope, base: dict[str, str]
) -> list[dict[str, Any]]:
    rows = figures.table([ind], period, by, department_ids=_ids(scope))
    params = _scope_params(scope)
    out = []
    for key, label, vals, _s in rows:
        v = vals[ind.key]
        if v is None:
            continue
        if ind.kind == "count":
            url = records_url(ind.numerator, period, params, by, key)
        elif by == "department" and key != "0":
            url = _query(base, department=key, region=None)
        elif by == "region" and key != figures.CITY_KEY:
            url = _query(base, region=key, department=None)
        else:
            url = ""
        out.append({"key": key, "name": label, "value": float(v), "url": url})
    return out


def _map_data(ind: Indicator, period: Period, scope: Scope, base: dict[str, str]) -> list[dict[str, Any]]:
    values = {r["key"]: r for r in _chart_rows(ind, period, "region", scope, base)}
    out = []
    for county in geo.counties():
        row = values.get(str(county.pk))
        out.append(
            {
                "name": county.name,
                "value": row["value"] if row else (0 if ind.kind == "count" else None),
                "url": _query(base, region=str(county.pk), department=None),
            }
        )
    return out


def _trend(inds: list[Indicator], period: Period, scope: Scope) -> dict[str, Any]:
    points = figures.series(figures.measures_for(inds), period, department_ids=_ids(scope))
    labels = []
    for b, _s in points:
        labels.append(f"{b.start.month}月{b.start.day}日" if b.kind == "day" else f"{b.start.month}月")
    series = []
    for ind in inds:
        data = []
        for _b, s in points:
            v = ind.value(s)
            data.append(None if v is None else float(v))
        series.append({"name": f"{ind.name}（{ind.unit}）", "data": data})
    return {"labels": labels, "series": series}


@_staff_page
def overview(request: HttpRequest) -> HttpResponseBase:
    scope = _scope(request)
    period = _period(request)
    by = _by(request, scope)
    ids = _ids(scope)
    present_now = figures.present_families(ids)
    families = [f for f in FAMILIES if f in present_now]
    present = [i for i in INDICATORS.values() if i.family in families]
    ind = _chosen_indicator(request, present)
    base = {
        "period": period.value,
        **_scope_params(scope),
        "by": _text(request, "by", 20),
        "ind": _text(request, "ind"),
    }
    table_inds = of_family(ind.family) if ind else []
    if request.GET.get("format") == "xlsx":
        if not table_inds:
            raise InvalidInput("尚无统计数据，没有可导出的表格", field="format")
        rows = figures.table(table_inds, period, by, department_ids=ids)
        title = f"{scope.label} {period.label} 按{BREAKDOWN_LABELS[by]}（{ind.family if ind else ''}）"
        data = exports.table_xlsx(table_inds, rows, by_label=BREAKDOWN_LABELS[by], title=title)
        return xlsx_response(data, f"统计-{BREAKDOWN_LABELS[by]}-{period.value}.xlsx")
    heads = headlines(present, period, scope) if present else []
    context: dict[str, Any] = {
        "scope": scope,
        "period": period,
        "by": by,
        "by_label": BREAKDOWN_LABELS[by],
        "ind": ind,
        "families": [
            {"name": f, "headlines": [h for h in heads if h.indicator.family == f]} for f in families
        ],
        "live": live_counters(scope, families),
        "as_of": _as_of_text(),
        "base": base,
        "screen": request.GET.get("screen") == "1",
        **_period_links(period, base),
    }
    if ind is not None:
        trend_inds = [ind]
        if ind.kind == "count":
            trend_inds += [i for i in of_family(ind.family) if i.kind == "count" and i is not ind][:3]
        bar_by = "department" if scope.sees_all and scope.department is None else "window"
        context.update(
            trend=_trend(trend_inds, period, scope),
            bar=_chart_rows(ind, period, bar_by, scope, base)[:BAR_ROWS],
            bar_label=BREAKDOWN_LABELS[bar_by],
            table_inds=table_inds,
            rows=breakdown_rows(table_inds, period, by, scope),
            total=total_row(table_inds, period, scope),
            family_tabs=[
                {"name": f, "current": f == ind.family, "url": _query(base, ind=of_family(f)[0].key)}
                for f in families
            ],
            indicator_choices=present,
            export_url=_query(base, format="xlsx"),
        )
        if scope.sees_all and scope.department is None:
            context.update(map=_map_data(ind, period, scope, base), map_name=geo.MAP_NAME)
    context["chart"] = {
        "trend": context.get("trend"),
        "bar": context.get("bar"),
        "map": context.get("map"),
        "indicator": f"{ind.name}（{ind.unit}）" if ind else "",
        "geo": reverse("analytics:geo"),
        "mapName": geo.MAP_NAME,
    }
    if context["screen"]:
        return render(request, "analytics/screen.html", context)
    by_choices = list(BREAKDOWN_LABELS.items())
    if not scope.sees_all or scope.department is not None:
        by_choices = [(k, v) for k, v in by_choices if k not in ("department", "region")]
    context.update(
        by_tabs=[
            {"key": k, "label": v, "current": k == by, "url": _query(base, by=k)} for k, v in by_choices
        ],
        regions=region_choices() if scope.sees_all else [],
        departments=Department.objects.order_by("region_id", "pk") if scope.sees_all else [],
        screen_url=_query(base, screen="1"),
    )
    return render(request, "analytics/overview.html", context)


# ---------------------------------------------------------------------------------------------
# The window's day


@_staff_page
def window_day(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    sees_all = may_view(user) and user.sees_all_departments
    wanted = _text(request, "window")
    window: Window | None = None
    if wanted:
        if not wanted.isdigit():
            raise InvalidInput(f"窗口参数应为数字编号，收到“{wanted[:20]}”", field="window")
        window = Window.objects.select_related("hall", "department").filter(pk=int(wanted)).first()
        if window is None:
            raise NotFound(f"没有编号为 {wanted} 的窗口", field="window")
        if not sees_all and window.pk != user.window_id:
            raise NotAllowed("只能查看本人所在窗口的当日情况", field="window")
    elif user.window_id:
        window = Window.objects.select_related("hall", "department").get(pk=user.window_id)
    elif not sees_all:
        raise NotAllowed("您的账号没有所在窗口，不能查看窗口当日情况")
    context: dict[str, Any] = {
        "window": window,
        "windows": Window.objects.select_related("hall").order_by("hall_id", "number") if sees_all else [],
        "screen": request.GET.get("screen") == "1",
        "today": _today(),
        "now": timezone.localtime(),
    }
    if window is not None:
        context["counters"] = window_counters(window, link=sees_all)
    if context["screen"]:
        return render(request, "analytics/window_screen.html", context)
    return render(request, "analytics/window_day.html", context)


def window_counters(window: Window, *, link: bool) -> list[Live]:
    """Today's counts of one window, live: each count indicator cut by window, then the hall's
    numbers called at the window and now waiting for it."""
    from zhengwu.hall.models import QueueTicket
    from zhengwu.hall.queue import callable_for

    today = _today()
    out = []
    for ind in INDICATORS.values():
        m = measures.MEASURES[ind.numerator]
        if ind.kind != "count" or not m.counts_records or "window" not in m.dim_paths:
            continue
        n = measures.records(m, today.start, today.end, dim="window", key=str(window.pk)).count()
        url = records_url(m.key, today, {}, "window", str(window.pk)) if link else ""
        out.append(Live(ind.name, n, url))
    called = QueueTicket.objects.filter(day=today.start, window=window, called_at__isnull=False)
    out.append(Live("叫号", called.count()))
    out.append(Live("当前等候", callable_for(window, today.start).count()))
    return out


# ---------------------------------------------------------------------------------------------
# Records behind a figure


def _department_ids_for(dim: str, key: str, scope: Scope) -> set[int]:
    """The departments a department or region breakdown key stands for, within the scope."""
    if dim == "department":
        if not key.isdigit():
            raise InvalidInput(f"部门编号应为数字，收到“{key[:20]}”", field="key")
        dept = int(key)
        if dept and not Department.objects.filter(pk=dept).exists():
            raise NotFound(f"没有编号为 {dept} 的部门", field="key")
        if scope.department_ids is not None and dept not in scope.department_ids and not scope.sees_all:
            raise NotAllowed("只能查看本部门的统计，不能查看其他部门", field="key")
        ids = {dept}
    else:
        if key != figures.CITY_KEY:
            if not key.isdigit():
                raise InvalidInput(f"县区编号应为数字，收到“{key[:20]}”", field="key")
            if not Region.objects.filter(pk=int(key), level=Level.COUNTY).exists():
                raise NotFound(f"没有编号为 {key} 的县区", field="key")
        ids = {d for d, r in Department.objects.values_list("pk", "region_id") if figures.county_of(r) == key}
        if key == figures.CITY_KEY:
            ids.add(0)
    if scope.department_ids is not None:
        ids &= scope.department_ids
    return ids


def _own_page(
    obj: Any, user: Any, describe: Callable[[Any], tuple[str, str, str]] | None
) -> tuple[str, str, str]:
    """(number, title, url) of a record, as its source describes it; the url only where this
    user may open the page."""
    opts = obj._meta
    if describe is not None:
        number, title, url = describe(obj)
    else:
        number = str(getattr(obj, "number", obj.pk))
        title = str(obj)
        url = ""
        getter = getattr(obj, "get_absolute_url", None)
        if callable(getter):
            url = getter()
        else:
            name = {"application": "applications:detail", "appeal": "appeals:detail"}.get(opts.model_name, "")
            arg = obj.number if opts.model_name == "application" else obj.pk
            try:
                url = reverse(name, args=[arg]) if name else ""
            except NoReverseMatch:
                url = ""
    if url and not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        url = ""
    return number, title, url


def _record_rows(m: Measure, objs: list[Any], user: Any) -> list[dict[str, Any]]:
    pks = [o.pk for o in objs]
    paths = [m.at, m.department_path, *m.record_fields]
    facts = {r[0]: r[1:] for r in m.source.queryset().filter(pk__in=pks).values_list("pk", *paths)}
    dept_names = dict(
        Department.objects.filter(pk__in={f[1] for f in facts.values() if f[1]}).values_list("pk", "name")
    )
    rows = []
    for o in objs:
        at, dept, *rest = facts.get(o.pk, (None, None))
        number, title, url = _own_page(o, user, m.source.describe)
        value = None
        if not m.counts_records:
            raw = m.record_value(dict(zip(paths, (at, dept, *rest), strict=False)))
            value = None if raw is None else float(Decimal(raw) / m.scale)
        rows.append(
            {
                "number": number,
                "title": title,
                "url": url,
                "department": dept_names.get(dept, "未归属部门") if dept else "未归属部门",
                "at": at,
                "at_text": f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else "",
                "value": value,
            }
        )
    return rows


@_staff_page
def records(request: HttpRequest) -> HttpResponseBase:
    key_text = _text(request, "measure")
    if not key_text:
        raise InvalidInput("缺少统计度量（measure）参数", field="measure")
    m = measures.measure(key_text)
    scope = _scope(request)
    given = _text(request, "period")
    period = parse_period(given, default_kind="month")
    check_within(period, figures.data_start())
    dim = _text(request, "dim", 20)
    key = _text(request, "key")
    if dim and dim not in BREAKDOWN_LABELS:
        raise InvalidInput(
            f"未知的统计维度“{dim}”，可选：{'、'.join(BREAKDOWN_LABELS.values())}",
            field="dim",
        )
    if dim and not key:
        raise InvalidInput(f"按{BREAKDOWN_LABELS[dim]}查看明细时须指明取值（key）", field="key")
    ids: Iterable[int] | None = scope.department_ids
    subject = scope.label
    if dim in ("department", "region"):
        ids = _department_ids_for(dim, key, scope)
        subject = f"{subject} · {figures.label_of(dim, key)}"
        qs = measures.records(m, period.start, period.end, department_ids=ids)
    else:
        qs = measures.records(m, period.start, period.end, department_ids=ids, dim=dim, key=key)
        if dim:
            subject = f"{subject} · {figures.label_of(dim, key)}"
    qs = qs.order_by(f"-{m.at}", "-pk")
    title = f"{m.name} · {period.label} · {subject}"
    if request.GET.get("format") == "xlsx":
        objs = list(qs[:EXPORT_LIMIT])
        rows = []
        for i in range(0, len(objs), 2000):
            rows += _record_rows(m, objs[i : i + 2000], request.user)
        unit = m.unit if not m.counts_records else ""
        return xlsx_response(
            exports.records_xlsx(rows, title=title, unit=unit), f"明细-{m.name}-{period.value}.xlsx"
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    total_value = None
    if not m.counts_records:
        total = 0
        fields = list(m.record_fields)
        for values in qs.values_list(*fields).iterator(chunk_size=5000) if fields else ():
            v = m.record_value(dict(zip(fields, values, strict=True)))
            total += v or 0
        total_value = _measure_amount(m, total)
    export = request.GET.copy()
    export.pop("page", None)
    export["format"] = "xlsx"
    return render(
        request,
        "analytics/records.html",
        {
            "measure": m,
            "period": period,
            "subject": subject,
            "title": title,
            "page_obj": page,
            "rows": _record_rows(m, list(page.object_list), request.user),
            "count": page.paginator.count,
            "total_value": total_value,
            "export_url": "?" + export.urlencode(),
            "back_url": reverse("analytics:overview")
            + _query({"period": period.value, **_scope_params(scope)}),
        },
    )


# ---------------------------------------------------------------------------------------------
# Public figures and the map


@never_cache
@require_GET
def public(request: HttpRequest) -> HttpResponse:
    """公开数据: the public indicators, city-wide and by county-level region; no links to records."""
    try:
        period = _period(request)
    except DomainError as e:
        return _fail(request, e)
    families = figures.present_families()
    inds = [i for i in INDICATORS.values() if i.public and i.family in families]
    city_values = figures.compare(inds, period) if inds else []
    rows = figures.table(inds, period, "region") if inds else []
    by_region = {k: vals for k, _label, vals, _s in rows}
    regions: list[dict[str, Any]] = [
        {"name": c.name, "values": by_region.get(str(c.pk), {})} for c in geo.counties()
    ]
    if figures.CITY_KEY in by_region:
        regions.append({"name": "市直部门", "values": by_region[figures.CITY_KEY]})
    table = [
        {"name": r["name"], "cells": [format_value(i, r["values"].get(i.key, _zero(i))) for i in inds]}
        for r in regions
    ]
    base = {"period": period.value}
    return render(
        request,
        "analytics/public.html",
        {
            "period": period,
            "inds": inds,
            "headlines": [
                {"indicator": c.indicator, "text": format_value(c.indicator, c.current), "compare": c}
                for c in city_values
            ],
            "table": table,
            "as_of": _as_of_text(),
            **_period_links(period, base),
        },
    )


def _zero(ind: Indicator) -> Decimal | None:
    """A region with no rows: a count is 0 there, a rate has no value."""
    return Decimal(0) if ind.kind == "count" else None


@require_GET
def geo_regions(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(geo.feature_collection(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response
