"""Bad input at the services: each refusal says, in Chinese, what is wrong and names the field, and
nothing of the refused call is left behind — no application, no material file row, no file on disk,
no step in the history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_id_number, make_uscc
from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.applications import services
from zhengwu.applications.models import (
    Application,
    ApplicationEvent,
    Delivery,
    MaterialFile,
    MaterialStatus,
    SupplementRequest,
)
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed

from .conftest import PDF, all_received, online, pdf, walk_in

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def wrong_check(valid: str) -> str:
    """The same number with a different last (check) character."""
    return valid[:-1] + ("1" if valid[-1] != "1" else "2")


BAD_ID = wrong_check(make_id_number(123))
BAD_USCC = wrong_check(make_uscc(77, prefix="91410200MA"))


A_MATERIAL = re.compile(r"materials\.\d+")  # the material's row, made and rolled back in the call


def refused(exc_type, call, *, field: str | re.Pattern[str] | None, says: str):
    with pytest.raises(exc_type) as info:
        call()
    if isinstance(field, re.Pattern):
        assert field.fullmatch(info.value.field or ""), (info.value.field, info.value.message)
    else:
        assert info.value.field == field, info.value.message
    assert says in info.value.message, info.value.message
    return info.value


def snapshot(app: Application) -> tuple:
    row = Application.objects.get(pk=app.pk)
    return (row.state, row.version, row.chain_length, row.due_at, row.limit_days, row.paused_since)


# -- identity numbers ---------------------------------------------------------------------------


def test_register_applicant_checks_the_id_number_and_the_uscc(office):
    refused(
        InvalidInput,
        lambda: services.register_applicant(kind="person", code=BAD_ID, name="赵六", by=office.clerk),
        field="id_number",
        says="公民身份号码校验码错误",
    )
    refused(
        InvalidInput,
        lambda: services.register_applicant(
            kind="person", code="41020219900307123", name="赵六", by=office.clerk
        ),
        field="id_number",
        says="公民身份号码应为18位，实际为17位",
    )
    refused(
        InvalidInput,
        lambda: services.register_applicant(
            kind="organisation",
            code=BAD_USCC,
            name="示范餐饮有限公司",
            legal_representative="赵六",
            by=office.clerk,
        ),
        field="uscc",
        says="统一社会信用代码校验码错误",
    )
    assert not Citizen.objects.filter(name="赵六").exists()
    assert not Enterprise.objects.filter(name="示范餐饮有限公司").exists()
    # the good numbers go through, so the refusals above were for the check character alone
    good = services.register_applicant(kind="person", code=make_id_number(123), name="赵六", by=office.clerk)
    assert good.id_number == make_id_number(123)


def test_find_applicant_checks_before_it_looks(office):
    refused(
        InvalidInput, lambda: services.find_applicant(BAD_ID), field="code", says="公民身份号码校验码错误"
    )
    refused(
        InvalidInput,
        lambda: services.find_applicant(BAD_USCC),
        field="code",
        says="统一社会信用代码校验码错误",
    )
    assert services.find_applicant(office.citizen.id_number) == office.citizen
    assert services.find_applicant(make_uscc(5, prefix="91410200MA")) is None


def test_find_applicant_finds_an_enterprise_whose_code_is_all_digits(office):
    """A 统一社会信用代码 may have 17 digits before its check character (as EnterpriseFactory makes
    them); it is still a USCC, not a 公民身份号码 with a bad birth date."""
    code = office.enterprise.uscc
    assert code[:17].isdigit()
    assert services.find_applicant(code) == office.enterprise
    assert services.find_applicant(code.lower()) == office.enterprise


def _completed(office, **kwargs) -> Application:
    app = walk_in(office, **kwargs).application
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=False, opinion="场所不符合要求")
    services.complete(application=app, by=office.approver)
    app.refresh_from_db()
    return app


def test_hand_over_checks_the_recipient_id_number(office):
    app = _completed(office)
    before = snapshot(app)
    refused(
        InvalidInput,
        lambda: services.hand_over(
            application=app, by=office.delivery, recipient_name="王小明", recipient_id_number=BAD_ID
        ),
        field="recipient_id_number",
        says="公民身份号码校验码错误",
    )
    assert snapshot(app) == before and not Delivery.objects.filter(application=app).exists()


# -- the checklist at the window ----------------------------------------------------------------


def test_required_material_missing_without_deferral(office):
    marks = [m for m in all_received(office) if m.item_material_id != office.uses[1].pk]
    refused(
        InvalidInput,
        lambda: walk_in(office, materials=marks),
        field=f"materials.{office.uses[1].pk}",
        says="“食品经营许可申请书”未收取：请标为已收、容缺、免提交或不适用",
    )
    assert not Application.objects.exists() and not ApplicationEvent.objects.exists()


def test_critical_material_cannot_be_deferred(office):
    marks = all_received(office)
    marks[0] = services.MaterialInput(
        office.uses[0].pk, MaterialStatus.DEFERRED, commitment="三日内补交", defer_days=3
    )
    refused(
        InvalidInput,
        lambda: walk_in(office, materials=marks),
        field=f"materials.{office.uses[0].pk}",
        says="“身份证明”是关键材料，不能容缺受理",
    )
    assert not Application.objects.exists()


@pytest.mark.parametrize("days", [0, -1, 31, None])
def test_deferral_days_out_of_range(office, days):
    marks = all_received(office)
    marks[2] = services.MaterialInput(
        office.uses[2].pk, MaterialStatus.DEFERRED, commitment="承诺补交", defer_days=days
    )
    refused(
        InvalidInput,
        lambda: walk_in(office, materials=marks),
        field=f"materials.{office.uses[2].pk}",
        says="“经营场所平面图”容缺补交期限应为1至30个工作日",
    )
    assert not Application.objects.exists()


def test_deferral_needs_the_written_commitment(office):
    marks = all_received(office)
    marks[2] = services.MaterialInput(office.uses[2].pk, MaterialStatus.DEFERRED, defer_days=3)
    refused(
        InvalidInput,
        lambda: walk_in(office, materials=marks),
        field=f"materials.{office.uses[2].pk}",
        says="请填写容缺承诺",
    )
    assert not Application.objects.exists()


# -- uploads that are not what they claim ---------------------------------------------------------


def _uploads(office, bad):
    """Good PDFs for the first two materials and ``bad`` for the third: the good ones are written
    to disk before the bad one is seen, so a refusal must take them away again."""
    return {
        office.uses[0].pk: [pdf("身份证明.pdf")],
        office.uses[1].pk: [pdf("申请书.pdf")],
        office.uses[2].pk: [bad],
    }


def _apply(office, uploads):
    return services.apply_online(
        item=office.item,
        by=office.citizen_user,
        applicant=office.citizen,
        contact_name=office.citizen.name,
        contact_phone=office.citizen.phone,
        form_data={"business_address": "示范市中原路1号", "scope": "预包装食品销售"},
        uploads=uploads,
    )


def test_an_executable_named_pdf_is_refused_and_nothing_is_kept(office, media):
    exe = SimpleUploadedFile("平面图.pdf", EXE, content_type="application/pdf")
    refused(
        InvalidInput,
        lambda: _apply(office, _uploads(office, exe)),
        field=A_MATERIAL,
        says="“经营场所平面图”的文件「平面图.pdf」不是图片或PDF文件",
    )
    assert not Application.objects.exists() and not MaterialFile.objects.exists()
    assert files_in(media) == []


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(office, media):
    big = SimpleUploadedFile(
        "平面图.pdf",
        PDF + b"0" * (services.UPLOAD_LIMITS.max_bytes + 1 - len(PDF)),
        content_type="application/pdf",
    )
    refused(
        InvalidInput,
        lambda: _apply(office, _uploads(office, big)),
        field=A_MATERIAL,
        says="“经营场所平面图”的文件「平面图.pdf」超过10MB",
    )
    assert not Application.objects.exists() and not MaterialFile.objects.exists()
    assert files_in(media) == []


def test_a_bad_file_at_the_window_leaves_nothing_either(office, media):
    marks = all_received(office)
    marks[0].files = [pdf("身份证明.pdf")]
    marks[2].files = [SimpleUploadedFile("平面图.jpg", EXE, content_type="image/jpeg")]
    refused(
        InvalidInput,
        lambda: walk_in(office, materials=marks),
        field=A_MATERIAL,
        says="“经营场所平面图”的文件「平面图.jpg」不是图片或PDF文件",
    )
    assert not Application.objects.exists() and not MaterialFile.objects.exists()
    assert files_in(media) == []


def test_a_bad_file_in_a_supplement_leaves_the_application_as_it_was(office, media):
    app = online(office).application
    first, second = app.materials.order_by("order")[1:3]
    services.request_supplement(
        application=app,
        by=office.clerk,
        items=[{"material_id": first.pk, "reason": "未签字"}, {"material_id": second.pk, "reason": "不清晰"}],
    )
    kept_files, kept_rows = sorted(files_in(media)), MaterialFile.objects.count()
    assert len(kept_files) == kept_rows == 3  # the online application's files are where we look
    before = snapshot(app)
    exe = SimpleUploadedFile("平面图.pdf", EXE, content_type="application/pdf")
    refused(
        InvalidInput,
        lambda: services.supply(
            application=app, by=office.citizen_user, uploads={first.pk: [pdf()], second.pk: [exe]}
        ),
        field=f"materials.{second.pk}",
        says="“经营场所平面图”的文件「平面图.pdf」不是图片或PDF文件",
    )
    assert snapshot(app) == before
    assert MaterialFile.objects.count() == kept_rows and sorted(files_in(media)) == kept_files
    assert not SupplementRequest.objects.filter(application=app, supplied_at__isnull=False).exists()


# -- 补正 --------------------------------------------------------------------------------------------


def test_a_second_supplement_must_name_something_new(office):
    app = online(office).application
    material = app.materials.order_by("order")[1]
    services.request_supplement(
        application=app, by=office.clerk, items=[{"material_id": material.pk, "reason": "未签字"}]
    )
    services.supply(application=app, by=office.citizen_user, uploads={material.pk: [pdf()]})
    before = snapshot(app)
    refused(
        InvalidInput,
        lambda: services.request_supplement(
            application=app, by=office.clerk, items=[{"material_id": material.pk, "reason": "仍未签字"}]
        ),
        field="items",
        says="第二次补正只能告知新发现的问题",
    )
    assert snapshot(app) == before and app.supplement_requests.count() == 1
    refused(
        InvalidInput,
        lambda: services.request_supplement(application=app, by=office.clerk, items=[]),
        field="items",
        says="请列出需要补正的材料及原因（一次性告知）",
    )


# -- 邮件号 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("EA123456784CN", "邮件号校验位错误，请核对第11位数字"),
        ("E1123456785CN", "邮件号格式应为2个字母、9位数字、2个字母"),
        ("EA12345678CN", "邮件号应为13位（如EA123456785CN），实际为12位"),
    ],
)
def test_a_wrong_tracking_number_is_refused(office, number, says):
    app = _completed(office, delivery_method="post", postal_address="示范市中原路2号")
    before = snapshot(app)
    refused(
        InvalidInput,
        lambda: services.post(application=app, by=office.delivery, tracking_number=number),
        field="tracking_number",
        says=says,
    )
    assert snapshot(app) == before and not Delivery.objects.filter(application=app).exists()


# -- state, version, who ----------------------------------------------------------------------------


def test_an_action_in_the_wrong_state_is_a_409_naming_the_state(office):
    app = walk_in(office).application
    before = snapshot(app)
    error = refused(
        Conflict,
        lambda: services.complete(application=app, by=office.approver),
        field="state",
        says="当前状态为“已受理待审查”，不能办结",
    )
    assert error.status == 409 and snapshot(app) == before


def test_a_stale_form_is_a_409_naming_the_version(office):
    app = walk_in(office).application
    seen = app.version
    services.review(application=app, by=office.approver, version=seen)
    before = snapshot(app)
    error = refused(
        Conflict,
        lambda: services.return_to_window(application=app, by=office.approver, reason="需补正", version=seen),
        field="version",
        says="已被他人修改，请刷新后重试",
    )
    assert error.status == 409 and snapshot(app) == before


def test_a_decision_by_another_department_is_refused(office):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    before = snapshot(app)
    error = refused(
        NotAllowed,
        lambda: services.decide(application=app, by=office.other_approver, approved=True, opinion="准予"),
        field=None,
        says="只有承办部门本部门人员才能作出决定",
    )
    assert error.status == 403 and snapshot(app) == before


def test_a_citizen_cannot_act_on_another_citizens_application(office):
    app = online(office).application
    before = snapshot(app)
    refused(
        NotAllowed,
        lambda: services.withdraw(application=app, by=office.stranger_user, reason="不办了"),
        field=None,
        says="只有申请人本人才能撤回申请",
    )
    assert snapshot(app) == before
    refused(
        NotAllowed,
        lambda: services.apply_online(
            item=office.item,
            by=office.stranger_user,
            applicant=office.citizen,
            contact_name="李四",
            contact_phone="13900002222",
            form_data={},
            uploads={},
        ),
        field="applicant",
        says="只能以本人或本单位（经办人账号）名义申请",
    )
    assert Application.objects.count() == 1


def test_the_requester_cannot_approve_their_own_extension(office):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    services.request_extension(application=app, by=office.approver, days=5, reason="情况复杂")
    before = snapshot(app)
    error = refused(
        NotAllowed,
        lambda: services.decide_extension(application=app, by=office.approver, approve=True),
        field="extension",
        says="延长审批须由本部门另一位审批人员批准，不能自己批准自己的申请",
    )
    assert error.status == 403 and snapshot(app) == before
    services.decide_extension(application=app, by=office.second_approver, approve=True)
    app.refresh_from_db()
    assert app.limit_days == office.item.promised_limit_days + 5


@pytest.mark.parametrize(
    ("days", "says"),
    [(0, "延长时限应大于0"), (21, "不超过法定时限"), ("三天", "延长时限应为数字")],
)
def test_extension_days_out_of_range(office, days, says):
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    before = snapshot(app)
    refused(
        InvalidInput,
        lambda: services.request_extension(application=app, by=office.approver, days=days, reason="情况复杂"),
        field="days",
        says=says,
    )
    assert snapshot(app) == before and not app.special_procedures.exists()


def test_the_extension_limit_is_written_as_people_write_working_days(office):
    """The limit is stored as 20.00; the applicant-facing message says 20个工作日, not 20.00个工作日."""
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    refused(
        InvalidInput,
        lambda: services.request_extension(application=app, by=office.approver, days=21, reason="情况复杂"),
        field="days",
        says="延长时限应大于0且不超过法定时限（20个工作日）",
    )


def test_nothing_half_saved_when_the_state_is_right_but_input_wrong(office):
    app = walk_in(office).application
    assert app.state == S.ACCEPTED
    services.review(application=app, by=office.approver)
    before = snapshot(app)
    refused(
        InvalidInput,
        lambda: services.start_special(application=app, by=office.approver, kind="expert", reason="  "),
        field="reason",
        says="请填写启动理由",
    )
    assert snapshot(app) == before
    assert not app.special_procedures.exists() and not app.pauses.exists()
