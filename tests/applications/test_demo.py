"""The demo city's 办件: made once per module through the real services (it takes a while), then
read by each test — every state, channel and applicant kind, sound chains, realistic lights and
a 容缺 overdue, queues for the demo logins, and nothing added by a second load."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.models import Count, F
from django.test import override_settings
from django.utils import timezone

from zhengwu.accounts import demo as accounts_demo
from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.applications import services
from zhengwu.applications.demo import STATE_COUNTS, load_demo_applications
from zhengwu.applications.models import (
    ApplicantKind,
    Application,
    ApplicationEvent,
    Channel,
    Delivery,
    DeliveryMethod,
    MaterialFile,
    MaterialStatus,
    Notice,
    SpecialKind,
    SpecialProcedure,
)
from zhengwu.applications.selectors import owned_by, visible_to
from zhengwu.applications.workflow import (
    BACK_OFFICE_STATES,
    DELIVERY_STATES,
    RUNNING_STATES,
    ApplicationState,
)
from zhengwu.casework.deadlines import Lights
from zhengwu.catalog import demo as catalog_demo
from zhengwu.core.validators import validate_s10
from zhengwu.org import demo as org_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo city's staff, applicants and catalogue, then the applications — loaded twice —
    inside one transaction rolled back when the module's tests are done."""
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=fast):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            regions = org_demo.load_demo_regions()
            departments = org_demo.load_demo_departments(regions["city"], catalog_demo.DEPARTMENTS)
            hall = org_demo.load_demo_hall(regions["city"], departments)
            accounts_demo.load_demo_users(departments, hall)
            accounts_demo.load_demo_applicants()
            catalog_demo.load_demo_catalog(departments=departments)
            created = load_demo_applications()
            counts = _counts()
            again = load_demo_applications()
            yield SimpleNamespace(created=created, again=again, counts=counts, media=media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _counts() -> dict[str, int]:
    return {
        "applications": Application.objects.count(),
        "events": ApplicationEvent.objects.count(),
        "notices": Notice.objects.count(),
        "files": MaterialFile.objects.count(),
        "users": User.objects.count(),
        "citizens": Citizen.objects.count(),
        "enterprises": Enterprise.objects.count(),
    }


def test_every_state_has_applications(demo):
    assert demo.created == sum(STATE_COUNTS.values()) == Application.objects.count()
    by_state = dict(Application.objects.values_list("state").annotate(n=Count("id")))
    missing = [s.label for s in ApplicationState if by_state.get(s.value, 0) == 0]
    assert missing == []


def test_every_channel_both_applicant_kinds_and_several_departments(demo):
    channels = set(Application.objects.values_list("channel", flat=True))
    assert channels == set(Channel.values)
    kinds = set(Application.objects.values_list("applicant_kind", flat=True))
    assert kinds == {ApplicantKind.PERSON, ApplicantKind.ORGANISATION}
    assert Application.objects.values("department").distinct().count() >= 5
    # online applications carry real PDF files, stored where the settings say
    upload = MaterialFile.objects.first()
    assert upload is not None and upload.content_type == "application/pdf"
    assert upload.file.read(5) == b"%PDF-"


def test_every_chain_verifies(demo):
    broken = [a.number for a in Application.objects.all() if services.CHAIN.check(a) is not None]
    assert broken == []


def test_loading_again_adds_nothing(demo):
    assert demo.again == 0
    assert _counts() == demo.counts
    assert load_demo_applications() == 0
    assert _counts() == demo.counts


def test_history_lies_in_the_past_and_in_order(demo):
    now = timezone.now()
    assert not ApplicationEvent.objects.filter(at__gt=now).exists()
    days = {timezone.localdate(d) for d in Application.objects.values_list("submitted_at", flat=True)}
    assert len(days) >= 15, "applications should be spread over many days, not made in one instant"
    assert min(days) <= timezone.localdate() - timedelta(days=21)
    for application in Application.objects.order_by("id")[:60]:
        moments = list(application.events.order_by("seq").values_list("at", flat=True))
        assert moments == sorted(moments), application.number


def test_demo_staff_see_non_empty_queues(demo):
    clerk, approver, delivery = (User.objects.get(username=u) for u in ("clerk", "approver", "delivery"))
    assert visible_to(clerk).filter(state=ApplicationState.SUBMITTED).exists()  # 预审
    assert visible_to(clerk).filter(state=ApplicationState.RETURNED).exists()
    back_office = visible_to(approver).filter(state__in=BACK_OFFICE_STATES)
    assert back_office.exists()
    assert set(back_office.values_list("department_id", flat=True)) == {approver.department_id}
    assert visible_to(delivery).filter(state__in=DELIVERY_STATES).exists()
    # every department whose items got applications has an approver who sees them
    for department_id in set(Application.objects.values_list("department_id", flat=True)):
        staff = User.objects.filter(department_id=department_id, groups__name="后台审批人员").first()
        assert staff is not None and visible_to(staff).exists(), department_id


def test_demo_applicant_logins_see_their_applications(demo):
    citizen = User.objects.get(username="citizen")
    mine = owned_by(citizen)
    assert mine.count() >= 10
    assert all(
        a.citizen is not None and a.citizen.user_id == citizen.pk for a in mine.select_related("citizen")
    )
    assert len(set(mine.values_list("state", flat=True))) >= 5
    enterprise = User.objects.get(username="enterprise")
    assert owned_by(enterprise).filter(applicant_kind=ApplicantKind.ORGANISATION).exists()


def test_lights_are_realistic_and_one_deferred_material_is_overdue(demo):
    lights = Lights()
    running = Application.objects.filter(state__in=RUNNING_STATES, paused_since__isnull=True)
    seen = {lights(a.accepted_at, a.due_at) for a in running}
    assert {"green", "yellow", "red"} <= seen
    assert Application.objects.filter(paused_since__isnull=False).exists()  # 补正 or 特别程序
    overdue = Application.objects.filter(deferred_overdue=True)
    assert overdue.exists()
    for application in overdue:
        late = application.materials.filter(
            status=MaterialStatus.DEFERRED, deferred_until__lt=timezone.localdate()
        )
        assert late.exists(), application.number
    # 容缺 that was handed in in time is not flagged
    assert Application.objects.filter(deferred_overdue=False, materials__handed_in_at__isnull=False).exists()


def test_window_decisions_extensions_and_deliveries(demo):
    on_the_spot = Application.objects.filter(on_the_spot=True)
    assert on_the_spot.exists()
    assert not on_the_spot.exclude(accepted_by__username="clerk").exists()
    extensions = SpecialProcedure.objects.filter(kind=SpecialKind.EXTENSION)
    assert extensions.filter(approval=SpecialProcedure.Approval.APPROVED).exists()
    assert extensions.filter(approval=SpecialProcedure.Approval.PENDING).exists()
    assert not extensions.filter(approved_by=F("started_by")).exists()
    assert SpecialProcedure.objects.exclude(kind=SpecialKind.EXTENSION).filter(ended_at__isnull=True).exists()
    posted = Delivery.objects.filter(method=DeliveryMethod.POST)
    assert posted.exists()
    for delivery in posted:
        validate_s10(delivery.tracking_number)
    assert Delivery.objects.filter(method=DeliveryMethod.PICKUP, by_proxy=True).exists()
