"""办件 measures and indicators (DESIGN.md §4, §9): 受理量, 办结量, 按时办结率, 超期件数,
平均办理时长, 即办件占比, 容缺受理量, 补正率, 二次补正, 网办率, 跑动次数, 材料减免 and the
一件事 realised savings — read from the applications part's records through its models and
selectors, never written.

Each measure is an event placed on one day (受理 or 办结 or 补正告知), so a period's figure is the
sum of its days. Choices worth knowing:

- 超期件数 counts applications *completed* after their 承诺办结时间, on the day of 办结. An
  application still open past its deadline is not in it: it is a stock that grows by the hour, not
  an event of a day, and is shown live by the applications part's worklists (超期未办结).
- 办理时长 runs in working time (the working-day calendar, 调休 included) from 受理 to 办结, the
  paused spans (补正 after 受理, 特别程序, waiting for a 前置事项) left out, as the legal clock runs:
  the 办理用时 the applications part stores on the application at 办结 (``handling_days``), summed
  here by the database in hundredths of a working day.
- 跑动次数 is counted from what an application records: one visit for a window intake, one for a
  collection at the window (送达方式“窗口自取”) — a 即办件 handed over at the intake visit is one
  visit — a SQL expression on the application's columns, summed by the database. Applications
  inside a 一件事 are not counted one by one: the bundle application's own visits are in the 一件事
  figures, as ``bundle_selectors.realised_savings`` counts them.
- 一件事 savings are those of ``bundle_selectors.realised_savings`` itself, per bundle and day of
  办结 (see ``_bundle_day``), so the statistics and the bundle pages cannot disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import BigIntegerField, Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, When
from django.db.models.functions import Cast, Round
from django.urls import reverse
from django.utils import timezone

from zhengwu.applications.models import (
    Application,
    ApplicationMaterial,
    BundleApplication,
    Channel,
    DeliveryMethod,
    MaterialStatus,
    SupplementRequest,
)

from . import indicators as ind
from .measures import Measure, Source, register

# 办理时长 in hundredths of a working day: the 办理用时 stored at 办结 has two decimals, so exact
# (rounded only against SQLite's floating-point decimals).
HANDLING_HUNDREDTHS = Cast(Round(F("handling_days") * 100), BigIntegerField())
# 跑动次数 of one single application: a window intake, and a collection at the window unless it was
# handed over at that same visit (即办件当场办结).
TRIPS = Case(
    When(Q(channel=Channel.WINDOW, delivery_method=DeliveryMethod.PICKUP, on_the_spot=False), then=2),
    When(Q(channel=Channel.WINDOW) | Q(delivery_method=DeliveryMethod.PICKUP), then=1),
    default=0,
    output_field=IntegerField(),
)


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related("item").annotate(
        handling_hundredths=HANDLING_HUNDREDTHS, trips=TRIPS
    )


# The drill-down shows the matter, never the applicant (personal data stays on the matter's page).
def _describe_application(a: Application) -> tuple[str, str, str]:
    return (
        a.number,
        f"{a.item.name}（{a.get_state_display()}）",
        reverse("applications:detail", args=[a.number]),
    )


def _describe_supplement(r: SupplementRequest) -> tuple[str, str, str]:
    a = r.application
    title = f"第{r.round}次补正告知：{a.item.name}"
    return a.number, title, reverse("applications:detail", args=[a.number])


def _describe_material(r: ApplicationMaterial) -> tuple[str, str, str]:
    a = r.application
    title = f"{r.name}（{r.get_status_display()}）：{a.item.name}"
    return a.number, title, reverse("applications:detail", args=[a.number])


def _describe_bundle(b: BundleApplication) -> tuple[str, str, str]:
    title = f"{b.bundle.name}（{b.get_state_display()}）"
    return b.number, title, reverse("applications:bundle_detail", args=[b.number])


APPLICATIONS = Source(
    key="application",
    label="办件",
    queryset=_applications,
    department="department_id",
    dims={
        "window": "window_id",
        "staff": "accepted_by_id",
        "item": "item_id",
        "bundle": "bundle_application__bundle_id",
        "channel": "channel",
    },
    changed=("updated_at",),
    history="events__at",
    describe=_describe_application,
)

SUPPLEMENTS = Source(
    key="supplement",
    label="补正告知",
    queryset=lambda: SupplementRequest.objects.select_related("application__item"),
    department="application__department_id",
    dims={
        "window": "application__window_id",
        "staff": "issued_by_id",
        "item": "application__item_id",
        "bundle": "application__bundle_application__bundle_id",
        "channel": "application__channel",
    },
    # A notice is written once (its issue time) and its application moves with every change.
    changed=("issued_at", "supplied_at", "application__updated_at"),
    describe=_describe_supplement,
)

MATERIALS = Source(
    key="application_material",
    label="办件材料",
    queryset=lambda: ApplicationMaterial.objects.select_related("application__item"),
    department="application__department_id",
    dims={
        "window": "application__window_id",
        "staff": "application__accepted_by_id",
        "item": "application__item_id",
        "bundle": "application__bundle_application__bundle_id",
        "channel": "application__channel",
    },
    changed=("application__updated_at", "handed_in_at"),
    describe=_describe_material,
)


def _bundle_applications() -> QuerySet[BundleApplication]:
    from zhengwu.applications import bundle_selectors

    return bundle_selectors.completed().select_related("bundle")


BUNDLES = Source(
    key="bundle_application",
    label="一件事办件",
    queryset=_bundle_applications,
    department="bundle__lead_department_id",
    dims={"bundle": "bundle_id"},
    changed=("updated_at",),
    history="events__at",
    describe=_describe_bundle,
)


# ---------------------------------------------------------------------------------------------
# Values of the summed measures
# ---------------------------------------------------------------------------------------------


# A bundle day's savings (several queries) are kept for a moment instead of asked per value.
FRESH_SECONDS = 1.0
_savings_memo: dict[tuple[Any, ...], tuple[float, Any]] = {}


def _bundle_day(fields: Mapping[str, Any]) -> Any:
    # The six savings measures ask for the same record one after another.
    key = (fields["id"], fields["bundle_id"], fields["completed_at"], fields["updated_at"])
    now = time.monotonic()
    hit = _savings_memo.get(key)
    if hit is not None and now - hit[0] <= FRESH_SECONDS / 2:
        return hit[1]
    savings = _bundle_day_savings(fields)
    _savings_memo.clear()
    _savings_memo[key] = (now, savings)
    return savings


def _bundle_day_savings(fields: Mapping[str, Any]) -> Any:
    """The realised savings (``bundle_selectors.realised_savings``) of the bundle's applications
    completed on this one's day of 办结, given to the first of them (by id) and to no other: a
    day's savings of a bundle add up exactly, and the figure by bundle, department (the bundle's
    lead department) and period is the selector's own. None for the others of the day."""
    from zhengwu.applications import bundle_selectors
    from zhengwu.catalog.models import Bundle

    day = timezone.localtime(fields["completed_at"]).date()
    bundle = Bundle(pk=fields["bundle_id"])
    first = (
        bundle_selectors.completed(bundle, start=day, end=day)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if first != fields["id"]:
        return None
    return bundle_selectors.realised_savings(bundle, start=day, end=day)


def _saving(kind: str, part: str, scale: int = 1) -> Callable[[Mapping[str, Any]], int | None]:
    def value(fields: Mapping[str, Any]) -> int | None:
        savings = _bundle_day(fields)
        if savings is None:
            return None
        saving = getattr(savings, kind)
        amount = saving.saved if part == "saved" else saving.items_total
        return int((Decimal(amount) * scale).to_integral_value(rounding=ROUND_HALF_UP))

    return value


# ---------------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------------

COMPLETED = Q(completed_at__isnull=False)
# 按时: 办结 at or before the 承诺办结时间; an application without one (no promised limit) is on time.
ON_TIME = COMPLETED & (Q(due_at__isnull=True) | Q(completed_at__lte=F("due_at")))
OVERDUE = COMPLETED & Q(due_at__isnull=False, completed_at__gt=F("due_at"))
DEFERRED = Q(
    Exists(
        ApplicationMaterial.objects.filter(application=OuterRef("pk")).filter(
            Q(status=MaterialStatus.DEFERRED) | Q(deferred_until__isnull=False)
        )
    )
)
SUPPLEMENTED = Q(Exists(SupplementRequest.objects.filter(application=OuterRef("pk"))))
SINGLE = Q(bundle_application__isnull=True)
DECIDED_BY = {"staff": "decided_by_id"}

register(
    Measure(
        "app_accepted",
        "受理件数",
        APPLICATIONS,
        at="accepted_at",
        definition="受理时间在期间内的办件（一件事的每个事项各计一件）",
    ),
    Measure(
        "app_completed",
        "办结件数",
        APPLICATIONS,
        at="completed_at",
        where=COMPLETED,
        dims=DECIDED_BY,
        definition="办结时间在期间内的办件",
    ),
    Measure(
        "app_on_time",
        "按时办结件数",
        APPLICATIONS,
        at="completed_at",
        where=ON_TIME,
        dims=DECIDED_BY,
        definition="办结时间在期间内、且不晚于承诺办结时间的办件（无承诺时限的视为按时）",
    ),
    Measure(
        "app_overdue",
        "超期办结件数",
        APPLICATIONS,
        at="completed_at",
        where=OVERDUE,
        dims=DECIDED_BY,
        definition="办结时间在期间内、且晚于承诺办结时间的办件；尚未办结的超期件不计入",
    ),
    Measure(
        "app_handling_days",
        "办理时长合计",
        APPLICATIONS,
        at="completed_at",
        where=COMPLETED & Q(accepted_at__isnull=False),
        unit="个工作日",
        total="handling_hundredths",
        scale=100,
        dims=DECIDED_BY,
        definition="期间内办结的办件从受理到办结的工作日数之和（按工作日历，含调休；"
        "不计补正、特别程序和等待前置事项的暂停期间）",
    ),
    Measure(
        "app_on_the_spot",
        "即办件当场办结件数",
        APPLICATIONS,
        at="accepted_at",
        where=Q(on_the_spot=True),
        definition="受理时间在期间内、在窗口当场决定并办结（即办件立等可取）的办件",
    ),
    Measure(
        "app_deferred",
        "容缺受理件数",
        APPLICATIONS,
        at="accepted_at",
        where=DEFERRED,
        definition="受理时间在期间内、受理时有非关键材料容缺后补（无论之后是否已补交）的办件",
    ),
    Measure(
        "app_supplemented",
        "补正件数",
        APPLICATIONS,
        at="accepted_at",
        where=SUPPLEMENTED,
        definition="受理时间在期间内、受理前后收到过补正告知的办件（每件只计一次）",
    ),
    Measure(
        "app_online",
        "网上办理件数",
        APPLICATIONS,
        at="accepted_at",
        where=~Q(channel=Channel.WINDOW),
        definition="受理时间在期间内、申请方式不是窗口办理（网上、移动端、自助终端、邮寄）的办件",
    ),
    Measure(
        "app_completed_single",
        "单项办结件数",
        APPLICATIONS,
        at="completed_at",
        where=COMPLETED & SINGLE,
        dims=DECIDED_BY,
        no_dims=("bundle",),
        definition="办结时间在期间内、不属于一件事的办件",
    ),
    Measure(
        "app_trips",
        "跑动次数合计",
        APPLICATIONS,
        at="completed_at",
        where=COMPLETED & SINGLE,
        unit="次",
        total="trips",
        dims=DECIDED_BY,
        no_dims=("bundle",),
        definition="期间内办结的单项办件申请人到现场的次数之和：窗口申请计 1 次，"
        "送达方式为窗口自取计 1 次（即办件当场取件不重复计）",
    ),
    Measure(
        "sup_notices",
        "补正告知次数",
        SUPPLEMENTS,
        at="issued_at",
        unit="次",
        definition="告知时间在期间内的补正告知（一次性告知）",
    ),
    Measure(
        "sup_repeated",
        "二次补正次数",
        SUPPLEMENTS,
        at="issued_at",
        where=Q(repeated=True),
        unit="次",
        definition="告知时间在期间内、同一办件第二次及以后的补正告知",
    ),
    Measure(
        "mat_lines",
        "应交材料份数",
        MATERIALS,
        at="application__accepted_at",
        where=~Q(status=MaterialStatus.NOT_APPLICABLE),
        unit="份",
        definition="受理时间在期间内的办件清单上适用的材料（每件每种材料一份）",
    ),
    Measure(
        "mat_exempt",
        "免提交材料份数",
        MATERIALS,
        at="application__accepted_at",
        where=Q(status=MaterialStatus.EXEMPT),
        unit="份",
        definition="受理时间在期间内的办件中免于提交的材料（电子证照复用、部门共享等）",
    ),
    Measure(
        "mat_exempt_licence",
        "电子证照免提交份数",
        MATERIALS,
        at="application__accepted_at",
        where=Q(status=MaterialStatus.EXEMPT, licence__isnull=False),
        unit="份",
        definition="受理时间在期间内的办件中以申请人电子证照代替、免于提交的材料",
    ),
    Measure(
        "bundle_completed",
        "一件事办结件数",
        BUNDLES,
        at="completed_at",
        definition="办结时间在期间内的一件事办件",
    ),
)

_BUNDLE_FIELDS = ("id", "bundle_id", "completed_at", "updated_at")
_SAVINGS = (
    ("trips", "次", 1, "跑动次数", "单独办理各事项应到现场次数之和", "一件事办件实际到现场次数"),
    ("materials", "份", 1, "材料份数", "单独办理各事项清单所列材料份数之和", "一件事实际提交材料份数"),
    (
        "time",
        "个工作日",
        100,
        "办理时间",
        "各事项从可开始办理到办结的工作日数之和",
        "一件事办件从受理到办结的工作日数",
    ),
)
for _kind, _unit, _scale, _label, _items, _bundle in _SAVINGS:
    register(
        Measure(
            f"bundle_{_kind}_items",
            f"一件事单独办理{_label}",
            BUNDLES,
            at="completed_at",
            unit=_unit,
            value=_saving(_kind, "items", _scale),
            value_fields=_BUNDLE_FIELDS,
            scale=_scale,
            definition=f"期间内办结的一件事办件如逐项单独办理：{_items}",
        ),
        Measure(
            f"bundle_{_kind}_saved",
            f"一件事减少{_label}",
            BUNDLES,
            at="completed_at",
            unit=_unit,
            value=_saving(_kind, "saved", _scale),
            value_fields=_BUNDLE_FIELDS,
            scale=_scale,
            definition=f"期间内办结的一件事办件：{_items}，减去{_bundle}",
        ),
    )

# ---------------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------------

Ind = ind.Indicator
FAMILY = "办件"
ind.register(
    Ind("app_accepted", "受理量", FAMILY, "件", "app_accepted", definition="期间内受理的办件数", public=True),
    Ind(
        "app_completed", "办结量", FAMILY, "件", "app_completed", definition="期间内办结的办件数", public=True
    ),
    Ind(
        "app_on_time_rate",
        "按时办结率",
        FAMILY,
        "%",
        "app_on_time",
        "app_completed",
        kind="rate",
        definition="期间内办结的办件中，不晚于承诺办结时间办结的比例",
        public=True,
    ),
    Ind(
        "app_overdue",
        "超期件数",
        FAMILY,
        "件",
        "app_overdue",
        definition="期间内办结、办结时已超过承诺办结时间的办件数（尚未办结的超期件见办件工作台）",
        higher_is_better=False,
    ),
    Ind(
        "app_handling_days",
        "平均办理时长",
        FAMILY,
        "个工作日",
        "app_handling_days",
        "app_completed",
        kind="average",
        definition="期间内办结的办件从受理到办结平均用的工作日数（按工作日历计，含调休上班日；"
        "补正、特别程序和等待前置事项的暂停期间不计）",
        higher_is_better=False,
        places=2,
    ),
    Ind(
        "app_on_the_spot_rate",
        "即办件占比",
        FAMILY,
        "%",
        "app_on_the_spot",
        "app_accepted",
        kind="rate",
        definition="期间内受理的办件中，在窗口当场办结（即办件立等可取）的比例",
        public=True,
    ),
    Ind(
        "app_deferred",
        "容缺受理量",
        FAMILY,
        "件",
        "app_deferred",
        definition="期间内受理时有非关键材料容缺后补的办件数",
    ),
    Ind(
        "app_supplement_rate",
        "补正率",
        FAMILY,
        "%",
        "app_supplemented",
        "app_accepted",
        kind="rate",
        definition="期间内受理的办件中，收到过补正告知的比例",
        higher_is_better=False,
    ),
    Ind(
        "sup_repeated",
        "二次补正次数",
        FAMILY,
        "次",
        "sup_repeated",
        definition="期间内对同一办件第二次及以后发出的补正告知次数（应为 0：一次性告知）",
        higher_is_better=False,
    ),
    Ind(
        "app_online_rate",
        "网办率",
        FAMILY,
        "%",
        "app_online",
        "app_accepted",
        kind="rate",
        definition="期间内受理的办件中，不经窗口申请（网上、移动端、自助终端、邮寄）的比例",
        public=True,
    ),
    Ind(
        "app_trips",
        "平均跑动次数",
        FAMILY,
        "次",
        "app_trips",
        "app_completed_single",
        kind="average",
        definition="期间内办结的单项办件（不含一件事）平均每件申请人到现场的次数："
        "窗口申请 1 次，窗口自取结果 1 次，即办件当场取件不重复计",
        higher_is_better=False,
        places=2,
    ),
    Ind(
        "mat_exempt",
        "材料减免份数",
        FAMILY,
        "份",
        "mat_exempt",
        definition="期间内受理的办件中免于提交的材料份数（含电子证照免提交）",
    ),
    Ind(
        "mat_exempt_licence",
        "电子证照免提交份数",
        FAMILY,
        "份",
        "mat_exempt_licence",
        definition="期间内受理的办件中以电子证照代替、免于提交的材料份数",
    ),
    Ind(
        "mat_exempt_rate",
        "材料减免率",
        FAMILY,
        "%",
        "mat_exempt",
        "mat_lines",
        kind="rate",
        definition="期间内受理的办件清单上适用的材料中，免于提交的比例",
    ),
    Ind(
        "bundle_completed",
        "一件事办结量",
        FAMILY,
        "件",
        "bundle_completed",
        definition="期间内办结的一件事办件数",
        public=True,
    ),
    Ind(
        "bundle_trips_saved",
        "一件事减少跑动次数",
        FAMILY,
        "次",
        "bundle_trips_saved",
        definition="期间内办结的一件事办件，比逐项单独办理少跑的次数（按一件事办件的实际跑动计）",
        public=True,
    ),
    Ind(
        "bundle_trips_rate",
        "一件事跑动减少率",
        FAMILY,
        "%",
        "bundle_trips_saved",
        "bundle_trips_items",
        kind="rate",
        definition="一件事减少跑动次数 ÷ 逐项单独办理应跑动次数",
    ),
    Ind(
        "bundle_materials_saved",
        "一件事减少材料份数",
        FAMILY,
        "份",
        "bundle_materials_saved",
        definition="期间内办结的一件事办件，比逐项单独办理少交的材料份数",
        public=True,
    ),
    Ind(
        "bundle_materials_rate",
        "一件事材料精简率",
        FAMILY,
        "%",
        "bundle_materials_saved",
        "bundle_materials_items",
        kind="rate",
        definition="一件事减少材料份数 ÷ 逐项单独办理应交材料份数",
    ),
    Ind(
        "bundle_time_saved",
        "一件事节省办理时间",
        FAMILY,
        "个工作日",
        "bundle_time_saved",
        definition="期间内办结的一件事办件，比逐项先后单独办理节省的工作日数",
        places=2,
    ),
    Ind(
        "bundle_time_rate",
        "一件事时间压缩率",
        FAMILY,
        "%",
        "bundle_time_saved",
        "bundle_time_items",
        kind="rate",
        definition="一件事节省办理时间 ÷ 逐项单独办理所需工作日数",
    ),
)
