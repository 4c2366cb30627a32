"""Reads of the catalogue, for the guide pages, the API, the Excel export and the admin.

Items
    ``published_items()``             the versions in force, department loaded
    ``visible_items(user)``           what a user may read: everything for staff with
                                      catalog.view_serviceitem, published and retired otherwise
    ``search_items(qs, q=, department=, life_event=, item_type=)``
    ``with_materials(qs)``            items with materials and life events prefetched
    ``latest_versions(codes)``        {实施编码: latest version} for the Excel import

Bundles (一件事)
    ``bundles_with_composition(qs)``  bundles with items and their materials prefetched: use it
                                      for lists, then the functions below run no more queries
    ``bundle_items(bundle)``          the items, in the bundle's order
    ``bundle_materials(bundle)``      一套材料: the de-duplicated material set, the items' forms
                                      replaced by one merged 《{name}联办申请表》 (一表申请)
    ``bundle_form_fields(bundle)``    the merged form: the items' fields, de-duplicated by name
    ``bundle_definition_errors(bundle)`` conflicting field definitions, a broken 前置事项 order
    ``bundle_savings(bundle)``        time / materials / trips / steps: items' sum vs bundle
    ``savings_overview(bundles)``     the same summed over many bundles

Each bundle function accepts a bundle fetched any way: it prefetches what is missing itself,
so calling it on one bundle costs a fixed number of queries, and none when the bundle came
from ``bundles_with_composition``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Max, Prefetch, Q, QuerySet, prefetch_related_objects

from zhengwu.licences.models import LicenceType

from .models import Bundle, BundleItem, ItemMaterial, MaterialKind, ServiceItem, VersionStatus

# ---------------------------------------------------------------------------------------------
# Items


def published_items() -> QuerySet[ServiceItem]:
    """The versions in force (status published), with the department and its region."""
    return ServiceItem.objects.filter(status=VersionStatus.PUBLISHED).select_related(
        "department__region", "result_licence_type"
    )


def visible_items(user: Any) -> QuerySet[ServiceItem]:
    """Staff who may view the catalogue see drafts too; everybody else sees published versions
    and the retired ones (cases still refer to them), never drafts."""
    qs = ServiceItem.objects.select_related("department__region", "result_licence_type")
    if user is not None and user.has_perm("catalog.view_serviceitem"):
        return qs
    return qs.filter(status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED])


def search_items(
    qs: QuerySet[ServiceItem] | None = None,
    *,
    q: str = "",
    department: int | str | None = None,
    life_event: int | str | None = None,
    item_type: str = "",
) -> QuerySet[ServiceItem]:
    """Filter items (default: published) by words in the name, a code or the department's name,
    by department id, life event id and 事项类型 code. A malformed id matches nothing."""
    qs = published_items() if qs is None else qs
    if q := q.strip():
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(basic_code__iexact=q)
            | Q(implementation_code__iexact=q)
            | Q(department__name__icontains=q)
            | Q(department__short_name__icontains=q)
        )
    for lookup, value in (("department_id", department), ("life_events__id", life_event)):
        if value in (None, ""):
            continue
        if not str(value).isdigit():
            return qs.none()
        qs = qs.filter(**{lookup: int(str(value))})
    if item_type:
        qs = qs.filter(item_type=item_type)
    return qs


def with_materials(qs: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
    """Items with ``item_materials`` (and their Material) and ``life_events`` prefetched."""
    return qs.prefetch_related(
        Prefetch("item_materials", queryset=ItemMaterial.objects.select_related("material__licence_type")),
        "life_events",
    )


def latest_versions(codes: Iterable[str]) -> dict[str, ServiceItem]:
    """The highest version of each 实施编码 (any status), materials prefetched."""
    codes = list(codes)
    latest = (
        ServiceItem.objects.filter(implementation_code__in=codes)
        .values("implementation_code")
        .annotate(v=Max("version"))
    )
    condition = Q(pk__in=[])
    for row in latest:
        condition |= Q(implementation_code=row["implementation_code"], version=row["v"])
    items = with_materials(
        ServiceItem.objects.filter(condition).select_related("department__region", "result_licence_type")
    )
    return {item.implementation_code: item for item in items}


# ---------------------------------------------------------------------------------------------
# Bundles


def _bundle_prefetches() -> tuple[Prefetch[Any], ...]:
    items = BundleItem.objects.select_related("item__department__region").prefetch_related(
        Prefetch(
            "item__item_materials", queryset=ItemMaterial.objects.select_related("material__licence_type")
        )
    )
    return (Prefetch("bundle_items", queryset=items),)


def bundles_with_composition(qs: QuerySet[Bundle] | None = None) -> QuerySet[Bundle]:
    """Bundles with life event, lead department, items and the items' materials loaded."""
    qs = Bundle.objects.all() if qs is None else qs
    return qs.select_related("life_event", "lead_department").prefetch_related(*_bundle_prefetches())


def _load(bundles: Sequence[Bundle]) -> None:
    prefetch_related_objects(list(bundles), *_bundle_prefetches())


def bundle_items(bundle: Bundle) -> list[ServiceItem]:
    """The items of a bundle, in the bundle's order."""
    _load([bundle])
    return [link.item for link in bundle.bundle_items.all()]


@dataclass
class BundleMaterial:
    """One line of a bundle's material set. ``material_id`` is None for the merged form."""

    name: str
    issuing_body: str
    kind: str
    licence_type: LicenceType | None  # the e-licence that stands in for it (免提交)
    originals: int
    copies: int
    required: bool
    critical: bool
    material_id: int | None
    item_names: list[str] = field(default_factory=list)

    @property
    def is_merged_form(self) -> bool:
        return self.material_id is None

    @property
    def kind_label(self) -> str:
        return MaterialKind(self.kind).label


def merged_form_name(bundle: Bundle) -> str:
    return f"《{bundle.name}联办申请表》"


def bundle_materials(bundle: Bundle) -> list[BundleMaterial]:
    """一套材料: each Material once, in the order the items first ask for it, with the largest
    original and copy counts, required if any item requires it and critical if any item holds
    it critical. The items' application forms (kind "form") are replaced by one merged form,
    listed first — 一表申请. A bundle whose items have no form gets none."""
    items = bundle_items(bundle)
    lines: dict[int, BundleMaterial] = {}
    form: BundleMaterial | None = None
    for item in items:
        for use in item.item_materials.all():
            material = use.material
            if material.kind == MaterialKind.FORM:
                if form is None:
                    form = BundleMaterial(
                        name=merged_form_name(bundle),
                        issuing_body="申请人",
                        kind=MaterialKind.FORM,
                        licence_type=None,
                        originals=1,
                        copies=0,
                        required=True,
                        critical=use.critical,
                        material_id=None,
                    )
                form.critical = form.critical or use.critical
                if item.name not in form.item_names:
                    form.item_names.append(item.name)
                continue
            line = lines.get(material.pk)
            if line is None:
                line = lines[material.pk] = BundleMaterial(
                    name=material.name,
                    issuing_body=material.issuing_body,
                    kind=material.kind,
                    licence_type=material.licence_type,
                    originals=use.originals,
                    copies=use.copies,
                    required=use.required,
                    critical=use.critical,
                    material_id=material.pk,
                )
            else:
                line.originals = max(line.originals, use.originals)
                line.copies = max(line.copies, use.copies)
                line.required = line.required or use.required
                line.critical = line.critical or use.critical
            if item.name not in line.item_names:
                line.item_names.append(item.name)
    return ([form] if form else []) + list(lines.values())


def bundle_form_fields(bundle: Bundle) -> list[dict[str, Any]]:
    """The merged application form (一表申请): the items' ``form_fields`` in item order, each
    ``name`` — the field's meaning — once, so an answer is given once and handed to every item
    that asks for it; each field lists the items that ask for it. Where two items define the same
    name differently the first definition is shown here, and ``bundle_form_conflicts`` names the
    clash: such a bundle cannot be published or applied for until the catalogue is fixed."""
    merged: dict[str, dict[str, Any]] = {}
    for item in bundle_items(bundle):
        for form_field in item.form_fields:
            name = form_field.get("name")
            if not name:
                continue
            if name not in merged:
                merged[name] = {**form_field, "items": []}
            merged[name]["items"].append(item.name)
    return list(merged.values())


def bundle_form_conflicts(bundle: Bundle) -> list[str]:
    """The fields two items of the bundle define differently (the same name with another label,
    type or rule): merging them would hand one answer to a question asked differently."""
    first: dict[str, tuple[str, dict[str, Any]]] = {}
    problems = []
    for item in bundle_items(bundle):
        for form_field in item.form_fields:
            name = form_field.get("name")
            if not name:
                continue
            if name not in first:
                first[name] = (item.name, form_field)
                continue
            other_item, other = first[name]
            if other != form_field:
                problems.append(
                    f"申请表字段“{name}”定义冲突：事项「{other_item}」为“{other.get('label', '')}”，"
                    f"事项「{item.name}」为“{form_field.get('label', '')}”"
                    + ("" if other.get("label") != form_field.get("label") else "（规则不同）")
                )
    return problems


def bundle_order_errors(links: Sequence[BundleItem]) -> list[str]:
    """前置事项 rules: the item waited for is in the bundle, comes earlier, and is not itself."""
    order = {link.item_id: (link.order, link.item) for link in links}
    problems = []
    for link in links:
        if link.after_id is None:
            continue
        name = link.item.name
        if link.after_id == link.item_id:
            problems.append(f"事项「{name}」不能以自身为前置事项")
        elif link.after_id not in order:
            problems.append(f"事项「{name}」的前置事项不在本一件事中")
        elif order[link.after_id][0] >= link.order:
            problems.append(f"事项「{name}」的前置事项「{order[link.after_id][1].name}」应排在它之前")
    return problems


def bundle_definition_errors(bundle: Bundle) -> list[str]:
    """Everything that stops a bundle being applied for: conflicting form fields, a broken order."""
    _load([bundle])
    return bundle_form_conflicts(bundle) + bundle_order_errors(list(bundle.bundle_items.all()))


ONE_TENTH = Decimal("0.1")
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Saving:
    """One measure of a bundle's savings: the items' sum against the bundle's own figure."""

    items_total: Decimal
    bundle: Decimal

    @property
    def saved(self) -> Decimal:
        return self.items_total - self.bundle

    @property
    def _exact_rate(self) -> Decimal:
        return Decimal(0) if self.items_total == 0 else self.saved / self.items_total

    @property
    def rate(self) -> Decimal:
        """(sum − bundle) / sum as a fraction, four places (0.8964); 0 when the sum is 0."""
        return self._exact_rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def percent(self) -> Decimal:
        """The rate in percent, one decimal, for display (89.6)."""
        return (self._exact_rate * 100).quantize(ONE_TENTH, rounding=ROUND_HALF_UP)

    def __add__(self, other: Saving) -> Saving:
        return Saving(self.items_total + other.items_total, self.bundle + other.bundle)


SAVING_LABELS = {
    "time": "办理时限（工作日）",
    "materials": "申请材料（份）",
    "trips": "跑动次数（次）",
    "steps": "办理环节（个）",
}


@dataclass(frozen=True)
class BundleSavings:
    """Savings of one bundle or, with ``bundle_count`` > 1, of many (``savings_overview``).
    time: the items' LEGAL limits against the bundle's promised limit; materials: the items'
    material lines against the de-duplicated set; trips and steps: sums against the bundle's."""

    time: Saving
    materials: Saving
    trips: Saving
    steps: Saving
    bundle_count: int = 1

    def rows(self) -> Iterator[tuple[str, str, Saving]]:
        """(key, Chinese label, Saving) for tables."""
        for key, label in SAVING_LABELS.items():
            yield key, label, getattr(self, key)


def bundle_savings(bundle: Bundle) -> BundleSavings:
    """Savings computed from the items, never typed: the seeds' 748 → 77.5 is 89.6 %."""
    items = bundle_items(bundle)
    return BundleSavings(
        time=Saving(sum((i.legal_limit_days for i in items), Decimal(0)), bundle.promised_limit_days),
        materials=Saving(
            Decimal(sum(len(i.item_materials.all()) for i in items)), Decimal(len(bundle_materials(bundle)))
        ),
        trips=Saving(Decimal(sum(i.trips for i in items)), Decimal(bundle.trips)),
        steps=Saving(Decimal(sum(len(i.process_steps) for i in items)), Decimal(len(bundle.process_steps))),
    )


def savings_overview(bundles: Iterable[Bundle]) -> BundleSavings:
    """The savings of many bundles together (the seeds: 13 bundles, 748 → 77.5 working days)."""
    bundles = list(bundles)
    _load(bundles)
    zero = Saving(Decimal(0), Decimal(0))
    total = BundleSavings(time=zero, materials=zero, trips=zero, steps=zero, bundle_count=0)
    for bundle in bundles:
        one = bundle_savings(bundle)
        total = BundleSavings(
            time=total.time + one.time,
            materials=total.materials + one.materials,
            trips=total.trips + one.trips,
            steps=total.steps + one.steps,
            bundle_count=total.bundle_count + 1,
        )
    return total
