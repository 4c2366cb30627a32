"""The three paths of the issue through the services: online with 补正, a walk-in with 容缺, and a
即办件 at the window; each step's state, deadline, notices and chained history."""

from __future__ import annotations

import pytest

from zhengwu.applications import services
from zhengwu.applications.models import Decision, MaterialStatus, NoticeKind, WindowAuthorisation
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed

from .conftest import all_received, online, pdf, walk_in

pytestmark = pytest.mark.django_db


def chain_ok(application) -> None:
    assert services.CHAIN.check(application) is None


def test_online_supplement_accept_decide_post(office):
    intake = online(office)
    app = intake.application
    assert app.state == S.SUBMITTED and len(intake.query_code) == 8
    assert app.number.startswith("BJ-") and len(app.number) <= 50
    materials = list(app.materials.order_by("order"))
    request = services.request_supplement(
        application=app,
        by=office.clerk,
        items=[
            {"material_id": materials[1].pk, "reason": "申请书未签字"},
            {"material_id": materials[2].pk, "reason": "平面图不清晰"},
        ],
    )
    app.refresh_from_db()
    assert app.state == S.SUPPLEMENT and request.round == 1 and not request.repeated
    assert app.notices.get(kind=NoticeKind.SUPPLEMENT).data["items"][1]["reason"] == "平面图不清晰"
    with pytest.raises(InvalidInput) as missing:
        services.supply(application=app, by=office.citizen_user, uploads={materials[1].pk: [pdf()]})
    assert missing.value.field == f"materials.{materials[2].pk}"
    services.supply(
        application=app, by=office.citizen_user, uploads={materials[1].pk: [pdf()], materials[2].pk: [pdf()]}
    )
    app.refresh_from_db()
    assert app.state == S.SUBMITTED
    services.accept(application=app, by=office.clerk)
    app.refresh_from_db()
    assert app.state == S.ACCEPTED and app.due_at is not None and app.due_at > app.accepted_at
    assert app.notices.filter(kind=NoticeKind.ACCEPTANCE).count() == 1
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=True, opinion="符合条件，准予许可")
    services.complete(application=app, by=office.approver, result_number="市监食许〔2026〕88号")
    app.refresh_from_db()
    with pytest.raises(Conflict):
        services.post(application=app, by=office.delivery, tracking_number="EA123456785CN")
    services.certify(application=app, by=office.approver, licence_number="JY14101000000001")
    app.refresh_from_db()
    assert app.state == S.CERTIFIED


def test_post_needs_valid_s10_and_address(office):
    app = walk_in(office, delivery_method="post", postal_address="示范市中原路2号").application
    for step in ("review",):
        getattr(services, step)(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=False, opinion="场所不符合要求")
    services.complete(application=app, by=office.approver)
    app.refresh_from_db()
    assert app.decision == Decision.DENIED and app.state == S.COMPLETED
    with pytest.raises(InvalidInput) as bad:
        services.post(application=app, by=office.delivery, tracking_number="EA123456784CN")
    assert bad.value.field == "tracking_number" and "校验位" in bad.value.message
    services.post(application=app, by=office.delivery, tracking_number="ea123456785cn")
    services.confirm_receipt(application=app, by=office.delivery)
    app.refresh_from_db()
    assert app.state == S.DELIVERED and app.delivery.tracking_number == "EA123456785CN"
    chain_ok(app)


def test_walk_in_with_deferred_material(office):
    marks = all_received(office)
    marks[2] = services.MaterialInput(
        office.uses[2].pk, MaterialStatus.DEFERRED, commitment="三日内补交", defer_days=3
    )
    app = walk_in(office, materials=marks).application
    assert app.state == S.ACCEPTED
    deferred = app.materials.get(status=MaterialStatus.DEFERRED)
    services.hand_in(application=app, by=office.clerk, material_id=deferred.pk, originals=1)
    deferred.refresh_from_db()
    assert deferred.status == MaterialStatus.RECEIVED and deferred.handed_in_at is not None
    chain_ok(app)


def test_critical_material_cannot_be_deferred_and_nothing_is_saved(office):
    marks = all_received(office)
    marks[0] = services.MaterialInput(
        office.uses[0].pk, MaterialStatus.DEFERRED, commitment="x", defer_days=3
    )
    with pytest.raises(InvalidInput) as refused:
        walk_in(office, materials=marks)
    assert "关键材料" in refused.value.message
    assert office.item.applications.count() == 0


def test_immediate_item_needs_authorisation(office):
    app = services.window_intake(
        item=office.immediate_item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name="王小明",
        contact_phone="13900001111",
        form_data={},
        materials=[
            services.MaterialInput(office.immediate_item.item_materials.get().pk, "received", originals=1)
        ],
        outcome="accept",
    ).application
    with pytest.raises(NotAllowed):
        services.decide_at_window(application=app, by=office.clerk, approved=True, opinion="符合")
    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from="2026-01-01"
    )
    services.decide_at_window(
        application=app, by=office.clerk, approved=True, opinion="符合", result_number="变2026-1"
    )
    app.refresh_from_db()
    assert app.state == S.COMPLETED and app.on_the_spot
    services.hand_over(
        application=app,
        by=office.delivery,
        recipient_name="王小明",
        recipient_id_number=office.citizen.id_number,
    )
    app.refresh_from_db()
    assert app.state == S.DELIVERED
    chain_ok(app)


def test_other_department_cannot_decide(office):
    app = walk_in(office).application
    with pytest.raises(NotAllowed):
        services.review(application=app, by=office.other_approver)
    assert [a.code for a in services.available_actions(app, office.other_approver)] == []
    assert "review" in [a.code for a in services.available_actions(app, office.approver)]


def test_window_supplement_names_item_materials(office):
    intake = walk_in(
        office,
        outcome="supplement",
        materials=all_received(office)[:1],
        supplement=[{"item_material_id": office.uses[1].pk, "reason": "申请书缺少签字"}],
    )
    app = intake.application
    assert app.state == S.SUPPLEMENT and app.supplement_rounds == 1
    assert app.supplement_requests.get().items[0]["name"] == "食品经营许可申请书"
    assert app.notices.filter(kind=NoticeKind.SUPPLEMENT).count() == 1


def test_find_applicant_reads_all_digit_credit_codes(office):
    from tests.factories import EnterpriseFactory, make_uscc

    enterprise = EnterpriseFactory(uscc=make_uscc(77, prefix="11110000"))
    assert enterprise.uscc[:17].isdigit()
    assert services.find_applicant(enterprise.uscc) == enterprise
    assert services.find_applicant(office.citizen.id_number) == office.citizen
    with pytest.raises(InvalidInput):
        services.find_applicant("410202199003070000")


def test_required_material_cannot_be_not_applicable(office):
    marks = all_received(office)
    marks[1] = services.MaterialInput(office.uses[1].pk, MaterialStatus.NOT_APPLICABLE)
    with pytest.raises(InvalidInput) as refused:
        walk_in(office, materials=marks)
    assert "必要材料" in refused.value.message
