"""Public 办事指南 pages: search, item guides, 一件事 guides and the bundle list. Everything shown is
generated from the catalogue rows and the selectors (savings included); nothing is typed twice.
Only published versions are public: anything else answers 404."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any, overload

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from zhengwu.org.models import Department

from .models import (
    Audience,
    Bundle,
    BundleItem,
    CaseType,
    LifeEvent,
    OnlineDepth,
    ServiceItem,
    ServiceObject,
    VersionStatus,
)
from .selectors import (
    BundleSavings,
    bundle_definition_errors,
    bundle_form_fields,
    bundle_items,
    bundle_materials,
    bundle_savings,
    bundles_with_composition,
    published_items,
    savings_overview,
    search_items,
    with_materials,
)

PAGE_SIZE = 20

# The two audiences a citizen thinks in; the codes are GB/T 39046 服务对象.
SERVICE_OBJECT_FILTERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "person": ("个人", (ServiceObject.PERSON,), Audience.PERSON),
    "legal": (
        "法人",
        (
            ServiceObject.ENTERPRISE,
            ServiceObject.INSTITUTION,
            ServiceObject.SOCIAL_ORG,
            ServiceObject.NON_LEGAL_ENTERPRISE,
            ServiceObject.OTHER,
        ),
        Audience.ENTERPRISE,
    ),
}

SAVING_UNITS = {"time": "个工作日", "materials": "份", "trips": "次", "steps": "个"}


def days(value: Decimal | int) -> str:
    """Working days without trailing zeros: 0.50 → "0.5", 20.00 → "20"."""
    return f"{Decimal(value).normalize():f}"


def promised_text(limit: Decimal, case_type: int | None = None) -> str:
    if case_type == CaseType.IMMEDIATE or limit == 0:
        return "即办"
    return f"{days(limit)}个工作日"


# ---------------------------------------------------------------------------------------------
# Search


@dataclass(frozen=True)
class GuideResult:
    """One line of the search results: an item or a bundle, in the same shape."""

    kind: str  # "item" or "bundle"
    name: str
    url: str
    department: str
    promised: str
    trips: int
    fully_online: bool
    item_count: int = 0


def _item_result(item: ServiceItem) -> GuideResult:
    return GuideResult(
        kind="item",
        name=item.name,
        url=reverse("catalog:item_guide", args=[item.pk]),
        department=item.department.name,
        promised=promised_text(item.promised_limit_days, item.case_type),
        trips=item.trips,
        fully_online=item.online_depth == OnlineDepth.FULLY_ONLINE,
    )


def _bundle_result(bundle: Any) -> GuideResult:
    return GuideResult(
        kind="bundle",
        name=bundle.name,
        url=reverse("catalog:bundle_guide", args=[bundle.pk]),
        department=f"{bundle.lead_department.name}（牵头）",
        promised=promised_text(bundle.promised_limit_days),
        trips=bundle.trips,
        fully_online=bundle.trips == 0,
        item_count=bundle.item_count,
    )


class _Results(Sequence[GuideResult]):
    """Bundles first, then items, as one sequence the paginator can slice: each page loads only
    its own rows (two counts and at most two queries), however long the catalogue."""

    def __init__(self, bundles: QuerySet[Bundle], items: QuerySet[ServiceItem]) -> None:
        self.bundles = bundles
        self.items = items
        self._counts: tuple[int, int] | None = None

    def _sizes(self) -> tuple[int, int]:
        if self._counts is None:
            self._counts = (self.bundles.count(), self.items.count())
        return self._counts

    def __len__(self) -> int:
        return sum(self._sizes())

    @overload
    def __getitem__(self, index: int) -> GuideResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[GuideResult]: ...
    def __getitem__(self, index: int | slice) -> GuideResult | list[GuideResult]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop = index.start or 0, index.stop
        n_bundles, n_items = self._sizes()
        stop = n_bundles + n_items if stop is None else stop
        results = [_bundle_result(b) for b in self.bundles[min(start, n_bundles) : min(stop, n_bundles)]]
        if stop > n_bundles:
            lo, hi = max(start - n_bundles, 0), stop - n_bundles
            results += [_item_result(i) for i in self.items[lo:hi]]
        return results


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _serves(codes: tuple[str, ...]) -> Q:
    """Items whose service_objects list holds any of ``codes``. Written as one lookup per list
    position because JSON ``contains`` is not available on SQLite; the lists are short."""
    condition = Q(pk__in=[])
    for position in range(len(ServiceObject.values)):
        condition |= Q(**{f"service_objects__{position}__in": list(codes)})
    return condition


def _search(params: dict[str, str]) -> tuple[QuerySet[Bundle], QuerySet[ServiceItem]]:
    q = params["q"]
    department, life_event = _id(params["department"]), _id(params["life_event"])
    bad_id = any(params[k] and _id(params[k]) is None for k in ("department", "life_event"))

    items = search_items(q=q, department=department, life_event=life_event)
    bundles = Bundle.objects.filter(status=VersionStatus.PUBLISHED)
    if q:
        bundles = bundles.filter(
            Q(name__icontains=q) | Q(description__icontains=q) | Q(lead_department__name__icontains=q)
        )
    if department is not None:
        takes_part = BundleItem.objects.filter(bundle=OuterRef("pk"), item__department_id=department)
        bundles = bundles.filter(Q(lead_department_id=department) | Exists(takes_part))
    if life_event is not None:
        bundles = bundles.filter(life_event_id=life_event)
    if audience := SERVICE_OBJECT_FILTERS.get(params["object"]):
        _, codes, bundle_audience = audience
        items = items.filter(_serves(codes))
        bundles = bundles.filter(life_event__audience=bundle_audience)
    if bad_id:
        items, bundles = items.none(), bundles.none()
    bundles = bundles.select_related("lead_department").annotate(
        item_count=Count("bundle_items", distinct=True)
    )
    return bundles, items


def guide_search(request: HttpRequest) -> HttpResponse:
    """办事指南 search over published items and bundles. An htmx request (the search form)
    gets the results partial; a normal request, or htmx restoring history, the whole page."""
    params = {
        "q": request.GET.get("q", "").strip(),
        "department": request.GET.get("department", ""),
        "life_event": request.GET.get("life_event", ""),
        "object": request.GET.get("object", ""),
    }
    bundles, items = _search(params)
    page = Paginator(_Results(bundles, items), PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"page_obj": page, "results": page.object_list, "params": params}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "catalog/guide_search.html#results", context)

    # 个人 before 企业, as service halls list them
    events = sorted(LifeEvent.objects.all(), key=lambda e: e.audience != Audience.PERSON)
    selected_event = next((e for e in events if str(e.pk) == params["life_event"]), None)
    context.update(
        {
            "departments": Department.objects.filter(
                Exists(ServiceItem.objects.filter(department=OuterRef("pk"), status=VersionStatus.PUBLISHED))
            ).order_by("name"),
            "event_groups": [
                (Audience(audience).label, list(group))
                for audience, group in groupby(events, key=lambda e: e.audience)
            ],
            "selected_event": selected_event,
            "object_choices": [(key, label) for key, (label, _, _) in SERVICE_OBJECT_FILTERS.items()],
        }
    )
    return render(request, "catalog/guide_search.html", context)


# ---------------------------------------------------------------------------------------------
# Item guide


def item_guide(request: HttpRequest, pk: int) -> HttpResponse:
    """办事指南 of one published item, generated from the item and its materials. Printable."""
    item = get_object_or_404(with_materials(published_items()), pk=pk)
    objects = "、".join(ServiceObject(c).label for c in item.service_objects if c in ServiceObject.values)
    basics: list[tuple[str, str]] = [
        ("事项名称", item.name),
        ("事项类型", item.get_item_type_display()),
        ("实施主体", item.department.name),
        ("实施编码", item.implementation_code),
        ("基本编码", item.basic_code),
        ("行使层级", item.get_level_display()),
        ("服务对象", objects),
        ("办件类型", item.get_case_type_display()),
        ("法定办结时限", f"{days(item.legal_limit_days)}个工作日"),
        ("承诺办结时限", promised_text(item.promised_limit_days, item.case_type)),
        ("到办事现场次数", f"{item.trips}次"),
        ("网办深度", item.get_online_depth_display()),
        ("是否收费", "收费" if item.charges_fee else "不收费"),
    ]
    if item.charges_fee:
        basics.append(("收费标准", item.fee_description))
    if item.consultation_phone:
        basics.append(("咨询电话", item.consultation_phone))
    bundles = (
        Bundle.objects.filter(status=VersionStatus.PUBLISHED, bundle_items__item=item)
        .select_related("lead_department")
        .distinct()
    )
    context = {
        "item": item,
        "basics": basics,
        "materials": item.item_materials.all(),
        "bundles": bundles,
        "version_note": f"第{item.version}版"
        + (f"，{item.valid_from:%Y年%m月%d日}起施行" if item.valid_from else ""),
    }
    return render(request, "catalog/item_guide.html", context)


# ---------------------------------------------------------------------------------------------
# Bundles


def _saving_rows(savings: BundleSavings) -> list[dict[str, str]]:
    return [
        {
            "key": key,
            "label": label,
            "items_total": days(saving.items_total),
            "bundle": days(saving.bundle),
            "saved": days(saving.saved),
            "percent": f"{saving.percent}%",
            "unit": SAVING_UNITS[key],
        }
        for key, label, saving in savings.rows()
    ]


def _published_bundles() -> QuerySet[Bundle]:
    return bundles_with_composition(Bundle.objects.filter(status=VersionStatus.PUBLISHED))


def _bundle_card(bundle: Bundle) -> dict[str, Any]:
    return {
        "bundle": bundle,
        "item_count": len(bundle.bundle_items.all()),
        "promised": promised_text(bundle.promised_limit_days),
        "savings": {row["key"]: row for row in _saving_rows(bundle_savings(bundle))},
    }


def bundle_list(request: HttpRequest) -> HttpResponse:
    """一件事一次办: every published bundle grouped by life event, with the overall savings on
    top (the seeds' "13 个一件事，748 → 77.5 个工作日"). A fixed number of queries."""
    bundles = list(_published_bundles())
    overview = savings_overview(bundles)
    bundles.sort(
        key=lambda b: (b.life_event.audience != Audience.PERSON, b.life_event.order, b.life_event.pk)
    )
    groups = [
        (event, [_bundle_card(bundle) for bundle in group])
        for event, group in groupby(bundles, key=lambda b: b.life_event)
    ]
    context = {"overview": overview, "overview_rows": _saving_rows(overview), "groups": groups}
    return render(request, "catalog/bundle_list.html", context)


def _applies_online(bundle: Bundle) -> bool:
    """Whether the guide offers 在线办理: every item allows it and the definition is sound. The
    rule is the applications app's; it is asked here, not imported with this module, so the
    catalogue stands without the applications app."""
    from zhengwu.applications.bundles import can_apply_online

    return not bundle_definition_errors(bundle) and can_apply_online(bundle)


def bundle_guide(request: HttpRequest, pk: int) -> HttpResponse:
    """The guide of one published 一件事: its items, one form, one material set, its own limit,
    trips and steps, and the savings against doing the items one by one. Printable."""
    bundle = get_object_or_404(_published_bundles(), pk=pk)
    items = bundle_items(bundle)
    context = {
        "bundle": bundle,
        "online": _applies_online(bundle),
        "items": [
            {
                "item": item,
                "public": item.status == VersionStatus.PUBLISHED,
                "legal": f"{days(item.legal_limit_days)}个工作日",
                "promised": promised_text(item.promised_limit_days, item.case_type),
            }
            for item in items
        ],
        "departments": list(dict.fromkeys(item.department.name for item in items)),
        "materials": bundle_materials(bundle),
        "form_fields": bundle_form_fields(bundle),
        "promised": promised_text(bundle.promised_limit_days),
        "saving_rows": _saving_rows(bundle_savings(bundle)),
    }
    return render(request, "catalog/bundle_guide.html", context)
