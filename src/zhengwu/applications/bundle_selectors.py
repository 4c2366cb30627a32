"""Reads of 一件事办件: who sees which (the same rules as ``selectors`` for single applications),
and the realised savings of completed ones.

Visibility
    ``owned_bundles(user)``        the applicant's own: filed by this account, or the citizen's or
                                   the enterprise's
    ``visible_bundles(user)``      staff: the window and delivery (and whoever sees everything) all;
                                   an approver those with a child in the department; an agent what
                                   they filed; applicants their own
    ``bundle_application_for(user, number)``  one, or 404

Realised savings (``realised_savings(bundle=None, start=, end=)``), over the bundle applications
completed in the period (办结 date, both ends included) — what happened, against the same items
applied for one by one:

    time       working days from 受理 to 办结 of the bundle application, against the sum of its
               children's own working days (from the day each could start, waiting excluded, to its
               办结) — one after another, as separate applications go
    trips      visits the applicant made (a window intake, a collection at the window), against the
               catalogue's 到办事现场次数 of each item
    materials  materials handed in for the bundle (each once; the merged form once), against what
               each item's checklist took (the same ID card once per item, and the certificate the
               bundle produced itself)
    steps      the applicant's steps on the bundle application (申请, 受理, 出件), against the same
               steps on every child
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhengwu.calendar.selectors import get_calendar
from zhengwu.catalog.models import Bundle, MaterialKind
from zhengwu.catalog.selectors import BundleSavings, Saving

from .bundles import APPLICANT_STEPS
from .models import (
    Application,
    ApplicationMaterial,
    BundleApplication,
    BundleState,
    Channel,
    ClockPause,
    DeliveryMethod,
    MaterialStatus,
    PauseKind,
)
from .selectors import ONLINE_CHANNELS, sees_all
from .workflow import P_ACCEPT, P_DELIVER, P_REVIEW, ApplicationState

S = ApplicationState
B = BundleState
DONE = (B.COMPLETED, B.POSTED, B.DELIVERED)


def owned_bundles(user: Any) -> QuerySet[BundleApplication]:
    from zhengwu.accounts.models import Citizen, Enterprise

    if user is None or not user.is_authenticated:
        return BundleApplication.objects.none()
    citizens = list(Citizen.objects.filter(user=user).values_list("pk", flat=True))
    enterprises = list(
        Enterprise.users.through.objects.filter(user=user).values_list("enterprise_id", flat=True)
    )
    q = Q(submitted_by=user, channel__in=ONLINE_CHANNELS)
    if citizens:
        q |= Q(citizen_id__in=citizens)
    if enterprises:
        q |= Q(enterprise_id__in=enterprises)
    return BundleApplication.objects.filter(q)


def visible_bundles(user: Any) -> QuerySet[BundleApplication]:
    if user is None or not user.is_authenticated or not user.is_active:
        return BundleApplication.objects.none()
    if not user.is_staff:
        return owned_bundles(user)
    if sees_all(user) or user.has_perm(P_ACCEPT) or user.has_perm(P_DELIVER):
        return BundleApplication.objects.all()
    q = Q(pk__in=[])
    if user.has_perm(P_REVIEW) and user.department_id is not None:
        q |= Q(
            pk__in=Application.objects.filter(department_id=user.department_id).values(
                "bundle_application_id"
            )
        )
    if user.has_perm("applications.act_as_proxy"):
        q |= Q(agent=user)
    return BundleApplication.objects.filter(q)


def with_children(qs: QuerySet[BundleApplication]) -> QuerySet[BundleApplication]:
    children = Application.objects.select_related("item", "department", "waits_for__item").order_by("id")
    return qs.select_related("bundle__lead_department", "citizen", "enterprise").prefetch_related(
        Prefetch("children", queryset=children)
    )


def bundle_application_for(user: Any, number: str) -> BundleApplication:
    found = with_children(visible_bundles(user)).filter(number=number).first()
    if found is None:
        raise Http404("没有找到该一件事办件")
    return found


# ---------------------------------------------------------------------------------------------
# Realised savings
# ---------------------------------------------------------------------------------------------


def _bounds(start: date | None, end: date | None) -> Q:
    q = Q()
    tz = timezone.get_current_timezone()
    if start is not None:
        q &= Q(completed_at__gte=datetime.combine(start, time.min, tzinfo=tz))
    if end is not None:
        q &= Q(completed_at__lt=datetime.combine(end, time.max, tzinfo=tz))
    return q


def completed(
    bundle: Bundle | None = None, *, start: date | None = None, end: date | None = None
) -> QuerySet[BundleApplication]:
    qs = BundleApplication.objects.filter(_bounds(start, end), state__in=DONE, accepted_at__isnull=False)
    return qs.filter(bundle=bundle) if bundle is not None else qs


def realised_savings(
    bundle: Bundle | None = None, *, start: date | None = None, end: date | None = None
) -> BundleSavings:
    """What the completed bundle applications saved (see the module's note); ``bundle_count`` is the
    number of bundle applications counted. A fixed number of queries, however many there are."""
    parents = list(
        completed(bundle, start=start, end=end)
        .annotate(steps=Count("events", filter=Q(events__action__in=APPLICANT_STEPS)))
        .only("pk", "accepted_at", "completed_at", "channel", "delivery_method")
    )
    zero = Saving(Decimal(0), Decimal(0))
    if not parents:
        return BundleSavings(time=zero, materials=zero, trips=zero, steps=zero, bundle_count=0)
    ids = [p.pk for p in parents]
    kids = list(
        Application.objects.filter(bundle_application_id__in=ids, completed_at__isnull=False)
        .annotate(steps=Count("events", filter=Q(events__action__in=APPLICANT_STEPS)))
        .select_related("item")
        .only("pk", "bundle_application_id", "accepted_at", "completed_at", "item__trips")
    )
    waited = dict(
        ClockPause.objects.filter(
            application__in=kids, kind=PauseKind.PREDECESSOR, ended_at__isnull=False
        ).values_list("application_id", "ended_at")
    )
    rows = list(
        ApplicationMaterial.objects.filter(
            application__bundle_application_id__in=ids,
            status__in=[MaterialStatus.RECEIVED, MaterialStatus.DEFERRED, MaterialStatus.EXEMPT],
        ).values_list(
            "application__bundle_application_id",
            "status",
            "item_material__material_id",
            "item_material__material__kind",
        )
    )
    cal = get_calendar()

    def days(start: datetime | None, end: datetime | None) -> Decimal:
        return cal.working_days_between(start, end) if start and end else Decimal(0)

    time_bundle = sum((days(p.accepted_at, p.completed_at) for p in parents), Decimal(0))
    time_items = sum((days(waited.get(k.pk, k.accepted_at), k.completed_at) for k in kids), Decimal(0))
    trips_bundle = sum(
        (p.channel == Channel.WINDOW) + (p.delivery_method == DeliveryMethod.PICKUP) for p in parents
    )
    handed: set[tuple[int, Any]] = set()
    for parent_id, status, material_id, kind in rows:
        if status != MaterialStatus.EXEMPT:
            handed.add((parent_id, "form" if kind == MaterialKind.FORM else material_id))
    return BundleSavings(
        time=Saving(time_items, time_bundle),
        materials=Saving(Decimal(len(rows)), Decimal(len(handed))),
        trips=Saving(Decimal(sum(k.item.trips for k in kids)), Decimal(trips_bundle)),
        steps=Saving(Decimal(sum(k.steps for k in kids)), Decimal(sum(p.steps for p in parents))),
        bundle_count=len(parents),
    )


def exempt_by_licence(
    bundle: Bundle | None = None, *, start: date | None = None, end: date | None = None
) -> int:
    """Materials of the completed bundle applications (each once per bundle application) that were
    not handed in because the applicant's e-licence stood in for them (免提交)."""
    return (
        ApplicationMaterial.objects.filter(
            application__bundle_application__in=completed(bundle, start=start, end=end),
            status=MaterialStatus.EXEMPT,
            licence__isnull=False,
        )
        .values("application__bundle_application_id", "item_material__material_id")
        .distinct()
        .count()
    )


def realised_by_bundle(bundles: Iterable[Bundle], **period: Any) -> dict[int, BundleSavings]:
    return {b.pk: realised_savings(b, **period) for b in bundles}
