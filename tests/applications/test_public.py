"""The applicant's side: 在线办理 (who may, what the form checks before anything is saved), the
receipt that shows the query code once, 我的办件 and the application page (only one's own: 404 for
anyone else's page, notices and files), 补正 and 撤回 online, and tracking by 办件编号 + 查询码
without an account — the same answer for a wrong code and an unknown number, and a lock-out per
address and per number held in the shared cache."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.catalog.factories import ServiceItemFactory
from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialFile
from zhengwu.applications.public_views import GENERIC, LOCKED, NUMBER_FAILURES, STAFF_REFUSED, TRACK_FAILURES
from zhengwu.applications.workflow import ApplicationState as S
from zhengwu.casework.numbers import query_code_matches
from zhengwu.catalog.models import OnlineDepth, VersionStatus

from ..conftest import PASSWORD
from ..factories import EnterpriseFactory
from .conftest import FORM, PDF, all_received, online, pdf, walk_in

pytestmark = pytest.mark.django_db

MINE = reverse("applications_public:mine")
TRACK = reverse("applications_public:track")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
RETURN_REASON = "内部：平面图与现场不符，请窗口核实"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list[Any]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def text(response) -> str:
    return response.content.decode()


def row_errors(response, field: str) -> str:
    """The error list printed in the form row of ``field``."""
    row = re.search(rf'id="row-{field}">(.*?)(?=id="row-|</form>)', text(response), re.S)
    assert row is not None, f"no row for {field}"
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', row.group(1), re.S))


def apply_url(item) -> str:
    return reverse("applications_public:apply", args=[item.pk])


def detail_url(app) -> str:
    return reverse("applications_public:detail", args=[app.number])


def apply_data(office, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "applicant": f"person:{office.citizen.pk}",
        "contact_name": "王小明",
        "contact_phone": "13900001111",
        "delivery_method": "pickup",
        "form_business_address": FORM["business_address"],
        "form_scope": FORM["scope"],
        "idempotency_key": "0123456789abcdef0123456789abcdef",
    }
    for use in office.uses[:3]:
        data[f"material_{use.pk}"] = pdf(f"{use.material.name}.pdf")
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def owner(office) -> Client:
    client = Client()
    client.force_login(office.citizen_user)
    return client


@pytest.fixture
def stranger(office) -> Client:
    client = Client()
    client.force_login(office.stranger_user)
    return client


# ---------------------------------------------------------------------------------------------
# 在线办理
# ---------------------------------------------------------------------------------------------


class TestWhoMayApply:
    def test_a_visitor_is_sent_to_login_and_comes_back_to_the_form(self, office, client):
        url = apply_url(office.item)
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert response["Location"] == f"{reverse('login')}?next={url}"
        back = client.post(reverse("login"), {"username": "applicant", "password": PASSWORD, "next": url})
        assert back.status_code == 302 and back["Location"] == url
        assert client.get(url).status_code == 200

    def test_the_login_page_offers_sign_up_with_the_same_next(self, office, client):
        page = text(client.get(reverse("login") + "?next=/apply/mine/"))
        assert reverse("accounts:signup") + "?next=/apply/mine/" in page

    @pytest.mark.parametrize("role", ["clerk", "approver", "leader"])
    def test_staff_cannot_use_the_citizen_apply_page(self, office, client, role):
        client.force_login(getattr(office, role))
        response = client.get(apply_url(office.item))
        assert response.status_code == 403 and STAFF_REFUSED in text(response)
        response = client.post(apply_url(office.item), apply_data(office))
        assert response.status_code == 403
        assert not Application.objects.exists()

    def test_an_item_only_done_at_the_window_says_so(self, office, owner):
        office.item.online_depth = OnlineDepth.OFFLINE
        office.item.save(update_fields=["online_depth"])
        response = owner.post(apply_url(office.item), apply_data(office))
        assert response.status_code == 409 and "请到窗口办理" in text(response)
        assert not Application.objects.exists()

    def test_a_draft_item_is_not_found(self, office, owner):
        draft = ServiceItemFactory(status=VersionStatus.DRAFT, online_depth=OnlineDepth.FULLY_ONLINE)
        assert owner.get(apply_url(draft)).status_code == 404

    def test_the_guide_offers_online_or_says_window(self, office, client):
        online_page = text(client.get(reverse("catalog:item_guide", args=[office.item.pk])))
        assert f'href="{apply_url(office.item)}"' in online_page and "在线办理" in online_page
        window_only = ServiceItemFactory(online_depth=OnlineDepth.OFFLINE)
        page = text(client.get(reverse("catalog:item_guide", args=[window_only.pk])))
        assert "到窗口办理" in page and apply_url(window_only) not in page


class TestApplyForm:
    def test_the_form_shows_the_item_form_materials_and_limits(self, office, owner):
        page = text(owner.get(apply_url(office.item)))
        for label in (
            "经营场所",
            "经营项目",
            "身份证明",
            "健康证明（非必要）",
            "窗口自取",
            "邮寄送达",
            "最多5个文件",
        ):
            assert label in page
        assert 'accept="image/jpeg,image/png,image/gif,image/webp,application/pdf' in page
        assert 'enctype="multipart/form-data"' in page and "data-confirm=" in page
        assert "<script>" not in page and 'style="' not in page

    def test_a_good_application_waits_for_pre_review_and_the_code_is_shown_once(self, office, owner, media):
        response = owner.post(apply_url(office.item), apply_data(office))
        assert response.status_code == 302 and response["Location"] == reverse("applications_public:receipt")
        app = Application.objects.get()
        assert app.state == S.SUBMITTED and app.channel == "web" and app.citizen == office.citizen
        assert app.submitted_by == office.citizen_user and app.form_data == FORM
        assert MaterialFile.objects.filter(material__application=app).count() == 3
        page = text(owner.get(response["Location"]))
        code = re.search(r'id="receipt-code">(\d{8})<', page).group(1)
        assert app.number in page and "待预审" in page and "一次性告知" in page
        assert query_code_matches(app.query_code_hash, code)
        again = owner.get(reverse("applications_public:receipt"))
        assert again.status_code == 302 and code not in text(again)

    def test_the_same_form_sent_twice_files_once(self, office, owner):
        assert owner.post(apply_url(office.item), apply_data(office)).status_code == 302
        second = owner.post(apply_url(office.item), apply_data(office))
        app = Application.objects.get()
        assert second.status_code == 302 and second["Location"] == detail_url(app)

    def test_an_exe_renamed_pdf_is_refused_naming_the_material_and_nothing_is_saved(
        self, office, owner, media
    ):
        plan = office.uses[2]
        fake = SimpleUploadedFile("平面图.pdf", EXE, content_type="application/pdf")
        response = owner.post(apply_url(office.item), apply_data(office, **{f"material_{plan.pk}": fake}))
        assert response.status_code == 400
        errors = row_errors(response, f"material_{plan.pk}")
        assert "经营场所平面图" in errors and "不是图片或PDF文件" in errors
        assert not Application.objects.exists() and not MaterialFile.objects.exists()
        assert stored_files(media) == []
        assert "请重新选择" in text(response)

    def test_too_many_files_for_one_material(self, office, owner, media):
        use = office.uses[0]
        six = [pdf(f"第{n}页.pdf") for n in range(6)]
        response = owner.post(apply_url(office.item), apply_data(office, **{f"material_{use.pk}": six}))
        assert response.status_code == 400
        errors = row_errors(response, f"material_{use.pk}")
        assert "身份证明" in errors and "最多上传5个" in errors
        assert not Application.objects.exists() and stored_files(media) == []

    def test_a_file_over_the_limit(self, office, owner, media):
        use = office.uses[1]
        big = SimpleUploadedFile("申请书.pdf", PDF + b"0" * services.UPLOAD_LIMITS.max_bytes)
        response = owner.post(apply_url(office.item), apply_data(office, **{f"material_{use.pk}": big}))
        assert response.status_code == 400
        errors = row_errors(response, f"material_{use.pk}")
        assert "食品经营许可申请书" in errors and "超过10MB" in errors
        assert not Application.objects.exists() and stored_files(media) == []

    def test_a_missing_required_material_is_named_and_nothing_is_saved(self, office, owner, media):
        use = office.uses[1]
        response = owner.post(apply_url(office.item), apply_data(office, **{f"material_{use.pk}": None}))
        assert response.status_code == 400
        assert "请上传“食品经营许可申请书”" in row_errors(response, f"material_{use.pk}")
        assert not Application.objects.exists() and stored_files(media) == []

    def test_post_delivery_needs_an_address(self, office, owner):
        response = owner.post(apply_url(office.item), apply_data(office, delivery_method="post"))
        assert response.status_code == 400 and "邮寄地址" in row_errors(response, "postal_address")
        ok = owner.post(
            apply_url(office.item),
            apply_data(office, delivery_method="post", postal_address="示范市中原路9号"),
        )
        assert ok.status_code == 302
        assert Application.objects.get().postal_address == "示范市中原路9号"

    def test_an_enterprise_agent_applies_for_the_enterprise_and_not_for_another(self, office, owner):
        company = EnterpriseFactory(name="示范食品有限公司")
        company.users.add(office.citizen_user)
        other = EnterpriseFactory(name="别家公司")
        response = owner.post(apply_url(office.item), apply_data(office, applicant=f"enterprise:{other.pk}"))
        assert response.status_code == 400 and "请选择申请人" in row_errors(response, "applicant")
        response = owner.post(
            apply_url(office.item), apply_data(office, applicant=f"enterprise:{company.pk}")
        )
        assert response.status_code == 302
        app = Application.objects.get()
        assert app.enterprise == company and app.citizen is None and app.applicant_name == "示范食品有限公司"


# ---------------------------------------------------------------------------------------------
# 我的办件 and the application page
# ---------------------------------------------------------------------------------------------


class TestMine:
    def test_a_visitor_is_sent_to_login(self, client, db):
        response = client.get(MINE)
        assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={MINE}"

    def test_lists_own_applications_with_step_due_and_light_only(self, office, owner):
        mine_online = online(office).application
        mine_window = walk_in(office).application  # accepted at the window: the clock runs
        theirs = services.apply_online(
            item=office.item,
            by=office.stranger_user,
            applicant=office.stranger_user.citizen,
            contact_name="李四",
            contact_phone="13700000000",
            form_data=FORM,
            uploads={u.pk: [pdf()] for u in office.uses[:3]},
        ).application
        page = text(owner.get(MINE))
        assert mine_online.number in page and mine_window.number in page and theirs.number not in page
        assert "待预审" in page and "已受理" in page and "正常" in page
        mine_window.refresh_from_db()
        assert f"{mine_window.due_at:%Y}" in page and "受理后计算" in page

    def test_pages_by_key_with_the_same_number_of_queries(self, office, owner, django_assert_max_num_queries):
        numbers = [walk_in(office).application.number for _ in range(22)]
        # the owner's citizen and enterprise ids, the page, its items and departments: a fixed count
        with django_assert_max_num_queries(14):
            first = owner.get(MINE)
        page = text(first)
        assert numbers[-1] in page and numbers[1] not in page
        after = unquote(re.search(r'href="\?after=([^"]+)" rel="next"', page).group(1))
        second = text(owner.get(MINE, {"after": after}))
        assert numbers[0] in second and numbers[1] in second and numbers[-1] not in second

    def test_staff_are_pointed_to_their_desk(self, office, client):
        client.force_login(office.clerk)
        assert "工作台" in text(client.get(MINE))


class TestApplicationPage:
    def test_the_public_timeline_names_departments_never_staff_or_internal_reasons(self, office, owner):
        app = online(office).application
        services.accept(application=app, by=office.clerk)
        services.review(application=app, by=office.approver, note="内部审查意见")
        services.return_to_window(application=app, by=office.approver, reason=RETURN_REASON)
        services.forward(application=app, by=office.clerk, note="窗口说明")
        page = text(owner.get(detail_url(app)))
        assert "网上申请已提交" in page and "已受理" in page and "市场监督管理局" in page
        for hidden in ("窗口甲", "审批乙", RETURN_REASON, "内部审查意见", "窗口说明", "退回窗口"):
            assert hidden not in page
        assert "受理通知书" in page

    def test_another_citizens_application_is_404_everywhere(self, office, owner, stranger, client):
        app = online(office).application
        services.accept(application=app, by=office.clerk)
        notice = app.notices.get()
        file = MaterialFile.objects.filter(material__application=app).first()
        urls = [
            detail_url(app),
            reverse("applications_public:notice_pdf", args=[app.number, notice.number]),
            reverse("applications_public:file", args=[app.number, file.pk]),
        ]
        for url in urls:
            assert owner.get(url).status_code == 200, url
            assert stranger.get(url).status_code == 404, url
        client.force_login(office.clerk)  # staff read applications on their own pages
        assert client.get(urls[0]).status_code == 404
        for action in ("supply", "withdraw"):
            url = reverse(f"applications_public:{action}", args=[app.number])
            assert stranger.post(url, {"reason": "别人的", "version": app.version}).status_code == 404
        app.refresh_from_db()
        assert app.state == S.ACCEPTED

    def test_the_notice_is_its_pdf(self, office, owner):
        app = online(office).application
        services.accept(application=app, by=office.clerk)
        notice = app.notices.get()
        response = owner.get(reverse("applications_public:notice_pdf", args=[app.number, notice.number]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-") and "no-store" in response["Cache-Control"]
        missing = reverse("applications_public:notice_pdf", args=[app.number, "SL-20990101-000001"])
        assert owner.get(missing).status_code == 404

    def test_the_uploaded_file_comes_back_as_it_was(self, office, owner):
        app = online(office).application
        file = MaterialFile.objects.filter(material__application=app).first()
        response = owner.get(reverse("applications_public:file", args=[app.number, file.pk]))
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


class TestSupplementOnline:
    @pytest.fixture
    def asked(self, office):
        app = online(office).application
        materials = list(app.materials.order_by("order"))
        services.request_supplement(
            application=app,
            by=office.clerk,
            items=[
                {"material_id": materials[1].pk, "reason": "申请书未签字"},
                {"material_id": materials[2].pk, "reason": "平面图不清晰"},
            ],
        )
        app.refresh_from_db()
        return app, materials[1], materials[2]

    def supply_url(self, app) -> str:
        return reverse("applications_public:supply", args=[app.number])

    def test_the_page_shows_every_material_named_with_its_reason(self, asked, owner):
        app, form_material, plan = asked
        page = text(owner.get(detail_url(app)))
        assert "补正材料" in page and "申请书未签字" in page and "平面图不清晰" in page
        assert f'name="material_{form_material.pk}"' in page and f'name="material_{plan.pk}"' in page
        assert "补正材料通知书" in page

    def test_every_named_material_must_come(self, asked, owner, media):
        app, form_material, plan = asked
        before = len(stored_files(media))
        response = owner.post(
            self.supply_url(app), {f"material_{form_material.pk}": pdf(), "version": app.version}
        )
        assert response.status_code == 400
        assert "请补正“经营场所平面图”" in row_errors(response, f"material_{plan.pk}")
        app.refresh_from_db()
        assert app.state == S.SUPPLEMENT and len(stored_files(media)) == before

    def test_a_fake_file_is_refused_naming_the_material(self, asked, owner, media):
        app, form_material, plan = asked
        before = MaterialFile.objects.count()
        fake = SimpleUploadedFile("平面图.pdf", EXE, content_type="application/pdf")
        response = owner.post(
            self.supply_url(app),
            {f"material_{form_material.pk}": pdf(), f"material_{plan.pk}": fake, "version": app.version},
        )
        assert response.status_code == 400
        assert "经营场所平面图" in row_errors(response, f"material_{plan.pk}")
        assert MaterialFile.objects.count() == before

    def test_supplying_everything_goes_back_to_pre_review(self, asked, owner):
        app, form_material, plan = asked
        response = owner.post(
            self.supply_url(app),
            {f"material_{form_material.pk}": pdf(), f"material_{plan.pk}": pdf(), "version": app.version},
        )
        assert response.status_code == 302
        app.refresh_from_db()
        assert app.state == S.SUBMITTED and plan.files.count() == 2
        page = text(owner.get(detail_url(app)))
        assert "已提交补正材料" in page and 'id="supply-form"' not in page

    def test_a_stale_form_is_refused(self, asked, owner):
        app, form_material, plan = asked
        response = owner.post(
            self.supply_url(app),
            {f"material_{form_material.pk}": pdf(), f"material_{plan.pk}": pdf(), "version": app.version - 1},
        )
        assert response.status_code == 409 and "已被他人修改" in text(response)


class TestWithdraw:
    def test_withdraw_asks_to_confirm_needs_a_reason_and_ends_the_application(self, office, owner):
        app = online(office).application
        page = text(owner.get(detail_url(app)))
        assert 'id="withdraw-form"' in page and 'data-confirm="确认撤回申请' in page
        url = reverse("applications_public:withdraw", args=[app.number])
        empty = owner.post(url, {"reason": "", "version": app.version})
        assert empty.status_code == 400 and "请填写撤回理由" in row_errors(empty, "reason")
        assert owner.post(url, {"reason": "不需要了", "version": app.version}).status_code == 302
        app.refresh_from_db()
        assert app.state == S.WITHDRAWN
        page = text(owner.get(detail_url(app)))
        assert "申请已撤回" in page and 'id="withdraw-form"' not in page

    def test_no_withdraw_once_decided(self, office, owner):
        app = walk_in(office).application
        services.review(application=app, by=office.approver)
        services.decide(application=app, by=office.approver, approved=True, opinion="准予")
        assert 'id="withdraw-form"' not in text(owner.get(detail_url(app)))
        response = owner.post(
            reverse("applications_public:withdraw", args=[app.number]),
            {"reason": "x", "version": app.version},
        )
        app.refresh_from_db()
        assert response.status_code == 409 and app.state == S.DECIDED


def test_the_posted_result_shows_its_tracking_number(office, owner):
    app = walk_in(office, delivery_method="post", postal_address="示范市中原路2号").application
    services.review(application=app, by=office.approver)
    services.decide(application=app, by=office.approver, approved=False, opinion="场所不符合要求")
    services.complete(application=app, by=office.approver)
    services.post(application=app, by=office.delivery, tracking_number="EA123456785CN")
    page = text(owner.get(detail_url(app)))
    assert "EA123456785CN" in page and "已寄出" in page and "出件丁" not in page


# ---------------------------------------------------------------------------------------------
# 办件查询 without an account
# ---------------------------------------------------------------------------------------------


def status_url(number: str) -> str:
    return reverse("applications_public:status", args=[number])


class TestTracking:
    def test_number_and_code_open_the_public_progress(self, office, client):
        intake = walk_in(office)
        app = intake.application
        response = client.post(TRACK, {"number": app.number.lower(), "code": intake.query_code})
        assert response.status_code == 302 and response["Location"] == status_url(app.number)
        page = text(client.get(response["Location"]))
        assert "已受理" in page and "市场监督管理局" in page and office.item.name in page
        assert "窗口甲" not in page and office.citizen.phone not in page

    def test_a_wrong_code_and_an_unknown_number_read_the_same(self, office, client):
        intake = walk_in(office)
        wrong = client.post(TRACK, {"number": intake.application.number, "code": "00000000"})
        unknown = client.post(TRACK, {"number": "BJ-20990101-000001", "code": intake.query_code})
        assert wrong.status_code == unknown.status_code == 404
        assert GENERIC in text(wrong) and GENERIC in text(unknown)
        assert client.get(status_url(intake.application.number)).status_code == 200
        assert 'id="code-form"' in text(client.get(status_url(intake.application.number)))

    def test_the_qr_page_asks_for_the_code_then_shows_progress(self, office, client):
        intake = walk_in(office)
        url = status_url(intake.application.number)
        asked = text(client.get(url))
        assert 'id="code-form"' in asked and 'id="timeline"' not in asked
        unknown = text(client.get(status_url("BJ-20990101-000009")))
        assert 'id="code-form"' in unknown  # the same question: no telling which numbers exist
        wrong = client.post(url, {"code": "12345678"})
        assert wrong.status_code == 404 and GENERIC in text(wrong)
        right = client.post(url, {"code": intake.query_code})
        assert right.status_code == 302
        assert 'id="timeline"' in text(client.get(url))

    def test_the_owner_sees_progress_without_the_code(self, office, owner):
        app = online(office).application
        page = text(owner.get(status_url(app.number)))
        assert 'id="timeline"' in page and "待预审" in page

    def test_wrong_codes_lock_the_address_in_the_shared_cache(self, office):
        intake = walk_in(office)
        guesser = Client(REMOTE_ADDR="10.7.7.7")
        for n in range(TRACK_FAILURES.limit):
            number = intake.application.number if n == 0 else f"BJ-20990101-{n:06d}"
            assert guesser.post(TRACK, {"number": number, "code": f"{n:08d}"}).status_code == 404
        fresh_cookie = Client(REMOTE_ADDR="10.7.7.7")
        locked = fresh_cookie.post(TRACK, {"number": intake.application.number, "code": intake.query_code})
        assert locked.status_code == 429 and LOCKED in text(locked)
        assert (
            Client(REMOTE_ADDR="10.8.8.8")
            .post(TRACK, {"number": intake.application.number, "code": intake.query_code})
            .status_code
            == 302
        )

    def test_wrong_codes_for_one_number_lock_that_number_from_every_address(self, office):
        intake = walk_in(office)
        number = intake.application.number
        for n in range(NUMBER_FAILURES.limit):
            guesser = Client(REMOTE_ADDR=f"10.6.0.{n + 1}")
            assert guesser.post(status_url(number), {"code": f"{n:08d}"}).status_code == 404
        locked = Client(REMOTE_ADDR="10.6.1.1").post(TRACK, {"number": number, "code": intake.query_code})
        assert locked.status_code == 429 and LOCKED in text(locked)
        other = walk_in(office)
        assert (
            Client(REMOTE_ADDR="10.6.1.1")
            .post(TRACK, {"number": other.application.number, "code": other.query_code})
            .status_code
            == 302
        )

    def test_a_guess_writes_no_session(self, office, client):
        from django.contrib.sessions.models import Session

        client.post(TRACK, {"number": "BJ-20990101-000001", "code": "12345678"})
        assert not Session.objects.exists()


def test_window_applications_of_the_citizen_are_theirs_online_too(office, owner):
    """A citizen whose account is linked sees the applications the window accepted for them."""
    app = walk_in(office, materials=all_received(office)).application
    assert owner.get(detail_url(app)).status_code == 200
