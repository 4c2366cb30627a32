"""制证 makes the e-licence; an application whose material a held licence covers does not ask for it
(免提交), attaches the licence and logs the use — online and at the window."""

from __future__ import annotations

import pytest

from tests.applications.conftest import FORM, make_office, pdf, walk_in
from zhengwu.applications import services
from zhengwu.applications.models import ApplicationState as S
from zhengwu.applications.models import MaterialStatus
from zhengwu.core.errors import InvalidInput
from zhengwu.licences import services as licence_services
from zhengwu.licences.models import Licence, LicenceState, LicenceType, UseKind


@pytest.fixture
def office(db):
    return make_office()


def _granted(office):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=True, opinion="准予许可")
    services.complete(application=app, by=office.approver)
    return services.certify(application=app, by=office.approver)


def test_certify_issues_the_licence_to_the_applicant(office):
    app = _granted(office)
    licence = Licence.objects.get(application=app)
    assert app.state == S.CERTIFIED and app.result_number == licence.number == licence.serial
    assert licence.citizen == office.citizen and licence.issuer == office.department
    assert licence.licence_type == office.item.result_licence_type
    assert licence_services.verify_identifier(licence.identifier).outcome == "valid"
    assert licence.identifier in app.events.get(action="certify").note


def test_certify_is_refused_for_a_denied_application(office):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=False, opinion="不符合条件")
    services.complete(application=app, by=office.approver)
    with pytest.raises(Exception):  # noqa: B017 — the state machine refuses before the licence service
        services.certify(application=app, by=office.approver)
    assert not Licence.objects.exists()


@pytest.fixture
def covered(office):
    """The office item's first material (身份证明) can be replaced by a licence the citizen holds."""
    issuer = office.other_department
    id_type = LicenceType.objects.create(
        name="居民身份证", code=f"{issuer.uscc}001", defining_department=issuer, holder_kind="person"
    )
    use = office.uses[0]
    use.material.licence_type = id_type
    use.material.save()
    licence = licence_services.issue(
        by=None,
        licence_type=id_type,
        issuer=issuer,
        holder=licence_services.Holder.of(office.citizen),
        surface={},
        issued_on=office.citizen.created_at.date(),
    )
    return use, licence


def test_online_application_needs_no_upload_for_a_held_licence(office, covered):
    use, licence = covered
    intake = services.apply_online(
        item=office.item,
        by=office.citizen_user,
        applicant=office.citizen,
        contact_name="王小明",
        contact_phone="13900001111",
        form_data=FORM,
        uploads={u.pk: [pdf()] for u in office.uses[1:3]},
    )
    row = intake.application.materials.get(item_material=use)
    assert (row.status, row.licence) == (MaterialStatus.EXEMPT, licence)
    assert "由电子证照提供：居民身份证" in row.note and not row.files.exists()
    logged = licence.uses.get()
    assert (logged.kind, logged.application, logged.used_by) == (
        UseKind.INTAKE,
        intake.application,
        office.department.name,
    )


def test_a_revoked_or_other_holders_licence_is_not_used(office, covered):
    use, licence = covered
    Licence.objects.filter(pk=licence.pk).update(state=LicenceState.REVOKED)
    with pytest.raises(InvalidInput) as refused:
        services.apply_online(
            item=office.item,
            by=office.citizen_user,
            applicant=office.citizen,
            contact_name="王小明",
            contact_phone="13900001111",
            form_data=FORM,
            uploads={u.pk: [pdf()] for u in office.uses[1:3]},
        )
    assert refused.value.field == f"materials.{use.pk}"
    assert not licence.uses.exists()


def test_the_window_may_still_ask_for_paper_with_a_reason(office, covered):
    use, _licence = covered
    marks = [services.MaterialInput(u.pk, MaterialStatus.RECEIVED, originals=1) for u in office.uses[:3]]
    with pytest.raises(InvalidInput) as refused:
        walk_in(office, materials=marks)
    assert refused.value.field == f"materials.{use.pk}"
    marks[0].note = "证照照片与本人差异大，需核验原件"
    app = walk_in(office, materials=marks).application
    row = app.materials.get(item_material=use)
    assert row.status == MaterialStatus.RECEIVED and row.licence is None
    assert "证照照片与本人差异大" in row.note


def test_the_window_keeps_the_licence_when_the_clerk_leaves_it_exempt(office, covered):
    use, licence = covered
    marks = [services.MaterialInput(u.pk, MaterialStatus.RECEIVED, originals=1) for u in office.uses[1:3]]
    app = walk_in(office, materials=marks).application
    assert app.state == S.ACCEPTED
    assert app.materials.get(item_material=use).licence == licence


def test_the_window_page_and_the_online_form_say_so(office, covered, client):
    _use, licence = covered
    client.force_login(office.clerk)
    page = client.get("/applications/intake/", {"code": office.citizen.id_number, "item": office.item.pk})
    text = page.content.decode()
    assert page.status_code == 200 and "申请人持有有效电子证照" in text and licence.number in text
    client.logout()
    client.force_login(office.citizen_user)
    form = client.get(f"/apply/{office.item.pk}/")
    assert form.status_code == 200
    assert "免提交：已关联王小明的电子证照“居民身份证”" in form.content.decode()
