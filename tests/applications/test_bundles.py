"""一件事一次办: one form and one material set for a bundle, one 受理, children handled in parallel
by their departments, a child waiting for its 前置事项 with its clock stopped, a refusal trimming
or stopping the bundle, one 出件."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tests.applications.conftest import pdf
from tests.catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from tests.factories import CitizenFactory, DepartmentFactory, LicenceTypeFactory, UserFactory
from zhengwu.applications import bundles, services
from zhengwu.applications.models import (
    Application,
    ApplicationMaterial,
    BundleApplication,
    BundleState,
    ClockPause,
    MaterialFile,
    MaterialStatus,
    Notice,
    NoticeKind,
    PauseKind,
)
from zhengwu.applications.workflow import ApplicationState
from zhengwu.catalog import selectors as catalog
from zhengwu.catalog.models import Bundle, BundleItem, CaseType, OnlineDepth, OnRefusal
from zhengwu.core.errors import Conflict, DomainError, InvalidInput, NotAllowed

S = ApplicationState
B = BundleState


@dataclass
class Birth:
    bundle: Bundle
    cert: Any  # 出生医学证明 (health) — its result is the 户口 item's material
    hukou: Any  # 户口登记 (public security), waits for cert
    medical: Any  # 医保参保 (medical insurance), in parallel
    id_card: Any
    birth_record: Any
    hukou_book: Any
    clerk: Any
    delivery: Any
    approvers: dict[str, Any]
    citizen: Any
    citizen_user: Any


def make_birth(on_refusal: str = OnRefusal.TRIM) -> Birth:
    health = DepartmentFactory(name="卫生健康委员会")
    police = DepartmentFactory(name="公安局")
    medical_dept = DepartmentFactory(name="医疗保障局")
    hall = DepartmentFactory(name="政务服务中心")
    id_card = MaterialFactory(name="居民身份证")
    birth_record = MaterialFactory(name="分娩记录")
    hukou_book = MaterialFactory(name="居民户口簿")
    birth_licence = LicenceTypeFactory(name="出生医学证明", defining_department=health)
    cert_as_material = MaterialFactory(name="出生医学证明", licence_type=birth_licence)
    common = {"online_depth": OnlineDepth.PREVIEW, "legal_limit_days": Decimal(5)}
    cert = ServiceItemFactory(
        name="出生医学证明首次签发",
        department=health,
        case_type=CaseType.PROMISED,
        promised_limit_days=Decimal(1),
        result_name="出生医学证明",
        result_licence_type=birth_licence,
        trips=1,
        form_fields=[
            {"name": "newborn_name", "label": "新生儿姓名"},
            {"name": "birth_date", "label": "出生日期"},
            {"name": "phone", "label": "联系电话"},
        ],
        **common,
    )
    hukou = ServiceItemFactory(
        name="户口登记（出生）",
        department=police,
        promised_limit_days=Decimal(2),
        result_name="居民户口簿（已登记）",
        trips=2,
        form_fields=[
            {"name": "newborn_name", "label": "新生儿姓名"},
            {"name": "birth_date", "label": "出生日期"},
            {"name": "guardian_name", "label": "监护人姓名"},
        ],
        **common,
    )
    medical = ServiceItemFactory(
        name="城乡居民医保参保登记",
        department=medical_dept,
        promised_limit_days=Decimal(1),
        result_name="参保登记回执",
        trips=1,
        form_fields=[
            {"name": "newborn_name", "label": "新生儿姓名"},
            {"name": "guardian_name", "label": "监护人姓名"},
            {"name": "phone", "label": "联系电话"},
        ],
        **common,
    )
    ItemMaterialFactory(item=cert, material=id_card, critical=True, order=1)
    ItemMaterialFactory(item=cert, material=birth_record, order=2)
    ItemMaterialFactory(item=hukou, material=id_card, copies=1, critical=True, order=1)
    ItemMaterialFactory(item=hukou, material=cert_as_material, critical=True, order=2)
    ItemMaterialFactory(item=hukou, material=hukou_book, order=3)
    ItemMaterialFactory(item=medical, material=id_card, order=1)
    ItemMaterialFactory(item=medical, material=hukou_book, required=False, order=2)
    from tests.catalog.factories import BundleFactory

    bundle = BundleFactory(
        name="新生儿出生",
        lead_department=health,
        promised_limit_days=Decimal(3),
        trips=1,
        on_refusal=on_refusal,
    )
    BundleItem.objects.create(bundle=bundle, item=cert, order=1)
    BundleItem.objects.create(bundle=bundle, item=hukou, order=2, after=cert)
    BundleItem.objects.create(bundle=bundle, item=medical, order=3)
    user = UserFactory(username="parent", name="张妈妈", is_staff=False, department=None)
    citizen = CitizenFactory(name="张妈妈", user=user, phone="13900002222")
    return Birth(
        bundle=bundle,
        cert=cert,
        hukou=hukou,
        medical=medical,
        id_card=id_card,
        birth_record=birth_record,
        hukou_book=hukou_book,
        clerk=UserFactory(roles=["clerk"], department=hall, name="窗口甲"),
        delivery=UserFactory(roles=["delivery_clerk"], department=hall, name="出件丁"),
        approvers={
            "health": UserFactory(roles=["approver"], department=health),
            "police": UserFactory(roles=["approver"], department=police),
            "medical": UserFactory(roles=["approver"], department=medical_dept),
        },
        citizen=citizen,
        citizen_user=user,
    )


@pytest.fixture
def birth(db) -> Birth:
    return make_birth()


FORM = {
    "newborn_name": "张小宝",
    "birth_date": "2026-06-01",
    "phone": "13900002222",
    "guardian_name": "张妈妈",
}


def apply(b: Birth, **kwargs: Any) -> bundles.BundleIntake:
    kwargs.setdefault(
        "uploads",
        {
            b.id_card.pk: [pdf("身份证.pdf")],
            b.birth_record.pk: [pdf("分娩记录.pdf")],
            b.hukou_book.pk: [pdf("户口簿.pdf")],
        },
    )
    return bundles.apply_online(
        bundle=b.bundle,
        by=b.citizen_user,
        applicant=b.citizen,
        contact_name="张妈妈",
        contact_phone="13900002222",
        form_data=kwargs.pop("form_data", FORM),
        **kwargs,
    )


def children(parent: BundleApplication) -> dict[str, Application]:
    return {c.item.name: c for c in parent.children.select_related("item")}


def finish(child: Application, approver: Any, *, approved: bool = True) -> Application:
    child = services.review(application=child, by=approver)
    child = services.decide(
        application=child, by=approver, approved=approved, opinion="符合条件" if approved else "不符合条件"
    )
    child = services.complete(application=child, by=approver, result_number="R-1")
    if approved and child.produces_licence:
        child = services.certify(application=child, by=approver, licence_number="L-1")
    return child


# ---------------------------------------------------------------------------------------------
# The merged form and the material set


def test_a_field_asked_by_three_items_appears_once_and_every_child_gets_its_answer(birth: Birth) -> None:
    fields = catalog.bundle_form_fields(birth.bundle)
    names = [f["name"] for f in fields]
    assert names.count("newborn_name") == 1
    assert set(next(f for f in fields if f["name"] == "newborn_name")["items"]) == {
        "出生医学证明首次签发",
        "户口登记（出生）",
        "城乡居民医保参保登记",
    }
    parent = apply(birth).bundle_application
    assert parent.form_data["newborn_name"] == "张小宝"
    kids = children(parent)
    assert {c.form_data["newborn_name"] for c in kids.values()} == {"张小宝"}
    assert kids["户口登记（出生）"].form_data == {
        "newborn_name": "张小宝",
        "birth_date": "2026-06-01",
        "guardian_name": "张妈妈",
    }
    assert "phone" not in kids["户口登记（出生）"].form_data


def test_conflicting_field_definitions_are_reported_and_block_applying(birth: Birth) -> None:
    birth.medical.form_fields = [{"name": "newborn_name", "label": "参保人姓名"}]
    birth.medical.save()
    problems = catalog.bundle_definition_errors(birth.bundle)
    assert problems and "newborn_name" in problems[0] and "参保人姓名" in problems[0]
    with pytest.raises(Conflict, match="定义有问题"):
        apply(birth)
    assert not BundleApplication.objects.exists() and not Application.objects.exists()


def test_one_id_card_for_the_whole_bundle_and_no_certificate_asked_for(birth: Birth) -> None:
    lines = bundles.checklist(birth.bundle)
    to_hand_in = [line.material.name for line in lines if line.to_hand_in]
    assert to_hand_in.count("居民身份证") == 1
    cert_line = next(line for line in lines if line.material.name == "出生医学证明")
    assert cert_line.provided_by == "出生医学证明首次签发" and not cert_line.to_hand_in

    parent = apply(birth).bundle_application
    rows = ApplicationMaterial.objects.filter(
        application__bundle_application=parent, item_material__material=birth.id_card
    )
    assert rows.count() == 3  # each item's checklist has the ID card …
    files = MaterialFile.objects.filter(material__in=rows)
    assert files.count() == 3 and len({f.file.name for f in files}) == 1  # … stored once
    exempt = ApplicationMaterial.objects.get(application__bundle_application=parent, name="出生医学证明")
    assert exempt.status == MaterialStatus.EXEMPT and "出生医学证明首次签发" in exempt.note


def test_a_required_material_missing_is_named_and_nothing_is_saved(birth: Birth) -> None:
    with pytest.raises(InvalidInput, match="请上传“分娩记录”") as caught:
        apply(birth, uploads={birth.id_card.pk: [pdf()], birth.hukou_book.pk: [pdf()]})
    assert caught.value.field == f"materials.{birth.birth_record.pk}"
    assert not BundleApplication.objects.exists() and not Application.objects.exists()
    assert not MaterialFile.objects.exists()


def test_another_citizen_cannot_apply_in_my_name(birth: Birth) -> None:
    stranger = UserFactory(username="stranger", is_staff=False, department=None)
    with pytest.raises(NotAllowed):
        bundles.apply_online(
            bundle=birth.bundle,
            by=stranger,
            applicant=birth.citizen,
            contact_name="x",
            contact_phone="1",
            form_data=FORM,
            uploads={},
        )


# ---------------------------------------------------------------------------------------------
# One 受理; children in parallel; a child waits with its clock stopped


def test_acceptance_sends_each_child_to_its_department_and_the_waiting_one_has_no_clock(birth: Birth) -> None:
    parent = apply(birth).bundle_application
    parent = bundles.accept(bundle_application=parent, by=birth.clerk)
    assert parent.state == B.IN_PROGRESS and parent.due_at is not None
    kids = children(parent)
    assert {c.state for c in kids.values()} == {S.ACCEPTED}
    assert {c.department.name for c in kids.values()} == {"卫生健康委员会", "公安局", "医疗保障局"}
    hukou = kids["户口登记（出生）"]
    assert hukou.waits_for == kids["出生医学证明首次签发"] and services.waiting(hukou)
    assert ClockPause.objects.filter(
        application=hukou, kind=PauseKind.PREDECESSOR, ended_at__isnull=True
    ).exists()
    # One notice for the bundle, none per child.
    assert Notice.objects.filter(bundle_application=parent, kind=NoticeKind.ACCEPTANCE).count() == 1
    assert not Notice.objects.filter(application__bundle_application=parent).exists()
    notice = Notice.objects.get(bundle_application=parent)
    assert [c["item"] for c in notice.data["children"]] == [
        "出生医学证明首次签发",
        "户口登记（出生）",
        "城乡居民医保参保登记",
    ]
    # The waiting child cannot be reviewed yet; the others can, each by its own department only.
    with pytest.raises(Conflict, match="前置事项“出生医学证明首次签发”"):
        services.review(application=hukou, by=birth.approvers["police"])
    with pytest.raises(NotAllowed):
        services.review(application=kids["城乡居民医保参保登记"], by=birth.approvers["police"])
    services.review(application=kids["城乡居民医保参保登记"], by=birth.approvers["medical"])


def test_the_waiting_child_starts_when_its_predecessor_is_done_and_its_clock_excludes_the_wait(
    birth: Birth,
) -> None:
    start = timezone.make_aware(timezone.datetime(2026, 6, 8, 9, 30))  # a Monday
    with time_machine.travel(start, tick=False):
        parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    kids = children(parent)
    with time_machine.travel(start + timezone.timedelta(days=1), tick=False):
        finish(kids["出生医学证明首次签发"], birth.approvers["health"])
    hukou = Application.objects.get(pk=kids["户口登记（出生）"].pk)
    assert not services.waiting(hukou) and hukou.paused_since is None
    # The bundle's 3 working days (longer than the item's own 2) plus the one working day it waited.
    assert hukou.limit_days == Decimal(3)
    assert timezone.localdate(hukou.due_at) == timezone.datetime(2026, 6, 12).date()
    assert hukou.events.filter(action="start").exists()


def test_the_bundle_completes_when_every_child_has_and_hands_over_once(birth: Birth) -> None:
    parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    kids = children(parent)
    finish(kids["出生医学证明首次签发"], birth.approvers["health"])
    finish(kids["城乡居民医保参保登记"], birth.approvers["medical"])
    parent.refresh_from_db()
    assert parent.state == B.IN_PROGRESS  # the 户口 child is still open
    with pytest.raises(Conflict, match="一件事办件"):
        services.hand_over(
            application=Application.objects.get(pk=kids["出生医学证明首次签发"].pk),
            by=birth.delivery,
            recipient_name="张妈妈",
            recipient_id_number=birth.citizen.id_number,
        )
    finish(Application.objects.get(pk=kids["户口登记（出生）"].pk), birth.approvers["police"])
    parent.refresh_from_db()
    assert parent.state == B.COMPLETED
    parent = bundles.hand_over(
        bundle_application=parent,
        by=birth.delivery,
        recipient_name="张妈妈",
        recipient_id_number=birth.citizen.id_number,
    )
    assert parent.state == B.DELIVERED
    assert set(parent.children.values_list("state", flat=True)) == {S.DELIVERED}
    service = Notice.objects.get(bundle_application=parent, kind=NoticeKind.SERVICE)
    assert "出生医学证明" in service.data["documents"] and "参保登记回执" in service.data["documents"]


def test_a_refused_predecessor_trims_what_depends_on_it_and_the_rest_goes_on(birth: Birth) -> None:
    parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    kids = children(parent)
    finish(kids["出生医学证明首次签发"], birth.approvers["health"], approved=False)
    assert Application.objects.get(pk=kids["户口登记（出生）"].pk).state == S.WITHDRAWN
    medical = Application.objects.get(pk=kids["城乡居民医保参保登记"].pk)
    assert medical.state == S.ACCEPTED
    parent.refresh_from_db()
    note = parent.events.get(action="item_refused").note
    assert "已终止：户口登记（出生）" in note and "继续办理：城乡居民医保参保登记" in note
    finish(medical, birth.approvers["medical"])
    parent.refresh_from_db()
    assert parent.state == B.COMPLETED  # the refusal and the 回执 are handed over together


def test_a_bundle_that_stops_on_refusal_ends_every_undecided_child(db) -> None:
    b = make_birth(on_refusal=OnRefusal.STOP)
    parent = bundles.accept(bundle_application=apply(b).bundle_application, by=b.clerk)
    kids = children(parent)
    finish(kids["出生医学证明首次签发"], b.approvers["health"], approved=False)
    assert Application.objects.get(pk=kids["城乡居民医保参保登记"].pk).state == S.WITHDRAWN
    parent.refresh_from_db()
    assert (
        parent.state == B.COMPLETED and "没有继续办理的事项" in parent.events.get(action="item_refused").note
    )


def test_refusing_the_bundle_closes_every_child_with_one_notice(birth: Birth) -> None:
    parent = bundles.refuse(
        bundle_application=apply(birth).bundle_application, by=birth.clerk, reason="不属于本市助产机构出生"
    )
    assert parent.state == B.NOT_ACCEPTED
    assert set(parent.children.values_list("state", flat=True)) == {S.NOT_ACCEPTED}
    assert Notice.objects.filter(bundle_application=parent, kind=NoticeKind.REFUSAL).count() == 1


def test_a_child_cannot_be_accepted_or_withdrawn_alone(birth: Birth) -> None:
    parent = apply(birth).bundle_application
    child = children(parent)["城乡居民医保参保登记"]
    with pytest.raises(Conflict, match="整件办理"):
        services.accept(application=child, by=birth.clerk)
    with pytest.raises(Conflict, match="整件办理"):
        services.withdraw(application=child, by=birth.citizen_user, reason="不办了")
    assert not any(a.code == "accept" for a in services.available_actions(child, birth.clerk))


def test_window_intake_of_a_bundle_marks_each_material_once(birth: Birth) -> None:
    marks = [
        bundles.BundleMaterialInput(birth.id_card.pk, MaterialStatus.RECEIVED, originals=1, copies=1),
        bundles.BundleMaterialInput(birth.birth_record.pk, MaterialStatus.RECEIVED, originals=1),
        bundles.BundleMaterialInput(
            birth.hukou_book.pk, MaterialStatus.DEFERRED, commitment="三日内补交", defer_days=3
        ),
    ]
    intake = bundles.window_intake(
        bundle=birth.bundle,
        by=birth.clerk,
        applicant=birth.citizen,
        contact_name="张妈妈",
        contact_phone="13900002222",
        form_data=FORM,
        materials=marks,
        outcome="accept",
    )
    parent = intake.bundle_application
    assert parent.state == B.IN_PROGRESS and intake.query_code
    deferred = ApplicationMaterial.objects.filter(
        application__bundle_application=parent, status=MaterialStatus.DEFERRED
    )
    assert {m.application.item.name for m in deferred} == {"户口登记（出生）", "城乡居民医保参保登记"}


def test_a_critical_material_cannot_be_deferred_and_nothing_is_saved(birth: Birth) -> None:
    marks = [
        bundles.BundleMaterialInput(
            birth.id_card.pk, MaterialStatus.DEFERRED, commitment="明天补", defer_days=1
        ),
        bundles.BundleMaterialInput(birth.birth_record.pk, MaterialStatus.RECEIVED, originals=1),
    ]
    with pytest.raises(InvalidInput, match="关键材料"):
        bundles.window_intake(
            bundle=birth.bundle,
            by=birth.clerk,
            applicant=birth.citizen,
            contact_name="张妈妈",
            contact_phone="13900002222",
            form_data=FORM,
            materials=marks,
            outcome="accept",
        )
    assert not BundleApplication.objects.exists() and not Application.objects.exists()


# ---------------------------------------------------------------------------------------------
# Realised savings


def test_realised_savings_count_what_happened_against_the_items_done_separately(birth: Birth) -> None:
    from zhengwu.applications.bundle_selectors import realised_savings

    assert realised_savings(birth.bundle).bundle_count == 0
    parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    kids = children(parent)
    for name, dept in (
        ("出生医学证明首次签发", "health"),
        ("城乡居民医保参保登记", "medical"),
        ("户口登记（出生）", "police"),
    ):
        finish(Application.objects.get(pk=kids[name].pk), birth.approvers[dept])
    bundles.hand_over(
        bundle_application=BundleApplication.objects.get(pk=parent.pk),
        by=birth.delivery,
        recipient_name="张妈妈",
        recipient_id_number=birth.citizen.id_number,
    )
    saved = realised_savings(birth.bundle)
    assert saved.bundle_count == 1
    # Online, collected once: 1 trip, against 1 + 2 + 1 in the catalogue.
    assert (saved.trips.items_total, saved.trips.bundle) == (Decimal(4), Decimal(1))
    # Handed in: ID card, 分娩记录, 户口簿 — once each. Separately: 3 ID cards, 分娩记录, the
    # certificate, 户口簿 twice (the 医保 one optional but uploaded).
    assert (saved.materials.items_total, saved.materials.bundle) == (Decimal(7), Decimal(3))
    # 申请, 受理, 出件 on the bundle; the same three on each of the three children.
    assert (saved.steps.items_total, saved.steps.bundle) == (Decimal(9), Decimal(3))
    assert saved.time.items_total >= saved.time.bundle >= 0
    later = timezone.localdate() + timezone.timedelta(days=30)
    assert realised_savings(birth.bundle, start=later).bundle_count == 0
    assert realised_savings(None, end=timezone.localdate()).bundle_count == 1


def test_a_bundle_with_conflicting_fields_is_not_published_and_the_admin_is_told(
    birth: Birth, admin_client
) -> None:
    from django.urls import reverse

    from zhengwu.catalog import services as catalog_services
    from zhengwu.catalog.models import VersionStatus

    birth.medical.form_fields = [{"name": "newborn_name", "label": "参保人姓名"}]
    birth.medical.save()
    Bundle.objects.filter(pk=birth.bundle.pk).update(status=VersionStatus.DRAFT)
    with pytest.raises(DomainError, match="定义冲突"):
        catalog_services.publish_bundle(bundle=Bundle.objects.get(pk=birth.bundle.pk), by=birth.clerk)
    assert Bundle.objects.get(pk=birth.bundle.pk).status == VersionStatus.DRAFT
    page = admin_client.get(reverse("admin:catalog_bundle_change", args=[birth.bundle.pk])).content.decode()
    assert "申请表字段“newborn_name”定义冲突" in page


def test_the_approvers_queue_tags_a_bundle_child_and_says_it_waits(birth: Birth, client) -> None:
    parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    hukou = children(parent)["户口登记（出生）"]
    client.force_login(birth.approvers["police"])
    page = client.get("/applications/review/").content.decode()
    assert f"一件事 {parent.number}" in page and "待前置事项办结" in page and hukou.number in page


# ---------------------------------------------------------------------------------------------
# 撤回 of a whole bundle application


def test_the_applicant_withdraws_the_whole_bundle_while_nothing_is_decided(birth: Birth, client) -> None:
    parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    client.force_login(birth.citizen_user)
    page = client.get(f"/apply/mine/bundle/{parent.number}/").content.decode()
    assert 'id="withdraw-form"' in page
    response = client.post(
        f"/apply/mine/bundle/{parent.number}/withdraw/", {"reason": "", "version": parent.version}
    )
    assert response.status_code == 400 and "请填写撤回理由" in response.content.decode()
    response = client.post(
        f"/apply/mine/bundle/{parent.number}/withdraw/",
        {"reason": "孩子随父亲在外地落户", "version": parent.version},
    )
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.state == B.WITHDRAWN and parent.closed_at is not None
    assert set(parent.children.values_list("state", flat=True)) == {S.WITHDRAWN}
    assert (
        "申请已撤回：孩子随父亲在外地落户"
        in client.get(f"/apply/mine/bundle/{parent.number}/").content.decode()
    )


def test_withdrawal_is_refused_once_an_item_is_decided_and_for_another_citizen(birth: Birth) -> None:
    parent = bundles.accept(bundle_application=apply(birth).bundle_application, by=birth.clerk)
    stranger = UserFactory(username="nosy", is_staff=False, department=None)
    with pytest.raises(NotAllowed):
        bundles.withdraw(bundle_application=parent, by=stranger, reason="x")
    child = children(parent)["城乡居民医保参保登记"]
    child = services.review(application=child, by=birth.approvers["medical"])
    services.decide(application=child, by=birth.approvers["medical"], approved=True, opinion="符合")
    with pytest.raises(Conflict, match="不能整件撤回"):
        bundles.withdraw(
            bundle_application=BundleApplication.objects.get(pk=parent.pk),
            by=birth.citizen_user,
            reason="不办了",
        )
    assert BundleApplication.objects.get(pk=parent.pk).state == B.IN_PROGRESS
    assert not bundles.withdrawable(BundleApplication.objects.get(pk=parent.pk))


def test_the_api_offers_and_performs_withdrawal_for_the_applicant(birth: Birth) -> None:
    from rest_framework.test import APIClient

    parent = apply(birth).bundle_application
    api = APIClient()
    api.force_authenticate(birth.citizen_user)
    detail = api.get(f"/api/bundle-applications/{parent.number}/").json()
    assert [a["code"] for a in detail["available_actions"]] == ["withdraw"]
    done = api.post(
        f"/api/bundle-applications/{parent.number}/withdraw/", {"reason": "不办了"}, format="json"
    )
    assert done.status_code == 200 and done.json()["state"] == "withdrawn"
    again = api.post(
        f"/api/bundle-applications/{parent.number}/withdraw/", {"reason": "不办了"}, format="json"
    )
    assert again.status_code == 409
