"""The applicant's side of 一件事: the guide page's 在线办理 button and 实际成效 block, 在线办理 of
a bundle (one merged form, one upload per shared material, nothing saved on a refusal), the receipt
showing the query code once, 我的办件 and the bundle application's own page (only one's own), its
tracking without an account, and its notices as PDFs."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pypdf
import pytest
import segno
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from tests.applications.conftest import pdf
from tests.applications.test_bundles import FORM, Birth, apply, children, finish, make_birth
from tests.catalog.factories import ItemMaterialFactory, MaterialFactory
from tests.factories import CitizenFactory, UserFactory
from zhengwu.applications import bundles
from zhengwu.applications import pdf as notice_pdf
from zhengwu.applications.models import (
    Application,
    BundleApplication,
    BundleState,
    MaterialFile,
    Notice,
    NoticeKind,
)
from zhengwu.applications.public_views import GENERIC, SESSION_TRACKED_BUNDLES
from zhengwu.casework.numbers import query_code_matches
from zhengwu.catalog.models import MaterialKind, OnlineDepth

pytestmark = pytest.mark.django_db

B = BundleState
MINE = reverse("applications_public:mine")
TRACK = reverse("applications_public:track")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def birth() -> Birth:
    return make_birth()


def text(response) -> str:
    return response.content.decode()


def flat(value: str) -> str:
    return "".join(value.split())


def row_errors(response, field: str) -> str:
    row = re.search(rf'id="row-{field}">(.*?)(?=id="row-|</form>)', text(response), re.S)
    assert row is not None, f"no row for {field}"
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', row.group(1), re.S))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def apply_url(b: Birth) -> str:
    return reverse("applications_public:bundle_apply", args=[b.bundle.pk])


def detail_url(parent: BundleApplication) -> str:
    return reverse("applications_public:bundle_detail", args=[parent.number])


def post_data(b: Birth, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "applicant": f"person:{b.citizen.pk}",
        "contact_name": "张妈妈",
        "contact_phone": "13900002222",
        "delivery_method": "pickup",
        "idempotency_key": "0123456789abcdef0123456789abcdef",
        **{f"form_{name}": value for name, value in FORM.items()},
        f"material_{b.id_card.pk}": pdf("身份证.pdf"),
        f"material_{b.birth_record.pk}": pdf("分娩记录.pdf"),
        f"material_{b.hukou_book.pk}": pdf("户口簿.pdf"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def accepted(b: Birth) -> BundleApplication:
    return bundles.accept(bundle_application=apply(b).bundle_application, by=b.clerk)


def delivered(b: Birth) -> BundleApplication:
    """A bundle application taken through to 出件 by the services."""
    parent = accepted(b)
    kids = children(parent)
    for name, dept in (
        ("出生医学证明首次签发", "health"),
        ("城乡居民医保参保登记", "medical"),
        ("户口登记（出生）", "police"),
    ):
        finish(Application.objects.get(pk=kids[name].pk), b.approvers[dept])
    return bundles.hand_over(
        bundle_application=BundleApplication.objects.get(pk=parent.pk),
        by=b.delivery,
        recipient_name="张妈妈",
        recipient_id_number=b.citizen.id_number,
    )


def read_pdf(data: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, flat("".join(page.extract_text() for page in reader.pages))


# ---------------------------------------------------------------------------------------------
# The guide page


def test_the_guide_offers_online_application_and_loads_the_realised_block(client, birth: Birth) -> None:
    html = text(client.get(reverse("catalog:bundle_guide", args=[birth.bundle.pk])))
    assert f'href="{apply_url(birth)}"' in html and "在线办理" in html
    realised = reverse("applications_public:bundle_realised", args=[birth.bundle.pk])
    assert f'hx-get="{realised}" hx-trigger="load"' in html
    assert re.search(rf'<noscript>.*href="{realised}".*</noscript>', html, re.S)


def test_a_bundle_with_a_window_only_item_says_to_apply_at_the_window(client, birth: Birth) -> None:
    birth.medical.online_depth = OnlineDepth.OFFLINE
    birth.medical.save()
    html = text(client.get(reverse("catalog:bundle_guide", args=[birth.bundle.pk])))
    assert f'href="{apply_url(birth)}"' not in html and "请携带材料到政务服务中心综合受理窗口申请" in html
    response = signed_in(birth.citizen_user).get(apply_url(birth))
    assert response.status_code == 409 and "含只能到窗口办理的事项" in text(response)


def test_a_bundle_whose_items_conflict_cannot_be_applied_for_online(client, birth: Birth) -> None:
    birth.medical.form_fields = [{"name": "newborn_name", "label": "参保人姓名"}]
    birth.medical.save()
    html = text(client.get(reverse("catalog:bundle_guide", args=[birth.bundle.pk])))
    assert f'href="{apply_url(birth)}"' not in html and "综合受理窗口" in html
    response = signed_in(birth.citizen_user).post(apply_url(birth), post_data(birth))
    assert response.status_code == 409 and "暂不能网上申请" in text(response)
    assert not BundleApplication.objects.exists() and not Application.objects.exists()


# ---------------------------------------------------------------------------------------------
# 在线办理


def test_anonymous_is_sent_to_sign_in(client, birth: Birth) -> None:
    response = client.get(apply_url(birth))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


def test_staff_cannot_apply_as_an_applicant(birth: Birth) -> None:
    response = signed_in(birth.clerk).get(apply_url(birth))
    assert response.status_code == 403 and "综合受理窗口" in text(response)


def test_the_form_asks_each_field_once_and_each_shared_material_once(birth: Birth) -> None:
    form = MaterialFactory(name="出生登记申请表", kind=MaterialKind.FORM)
    ItemMaterialFactory(item=birth.cert, material=form, order=9)
    ItemMaterialFactory(item=birth.hukou, material=form, order=9)
    response = signed_in(birth.citizen_user).get(apply_url(birth))
    assert response.status_code == 200
    html = text(response)
    assert html.count('name="form_newborn_name"') == 1
    assert "用于：出生医学证明首次签发、户口登记（出生）、城乡居民医保参保登记" in html
    assert html.count(f'name="material_{birth.id_card.pk}"') == 1
    assert "（3个事项共用，只需上传一次）" in html
    assert "无需提交：由本一件事“出生医学证明首次签发”的办理结果提供" in html
    assert "《新生儿出生联办申请表》" in html and "一表申请，无需另交各事项申请表" in html
    assert 'name="delivery_method"' in html and 'name="postal_address"' in html
    assert "<script>" not in html  # the page's behaviour comes from site.js, as CSP requires


def test_applying_shows_the_number_and_the_code_once_and_the_items(birth: Birth, media) -> None:
    client = signed_in(birth.citizen_user)
    response = client.post(apply_url(birth), post_data(birth))
    assert response.status_code == 302
    assert response["Location"] == reverse("applications_public:bundle_receipt")
    parent = BundleApplication.objects.get()
    assert parent.state == B.SUBMITTED and parent.form_data["newborn_name"] == "张小宝"
    # The ID card stored once, every child's checklist pointing at it.
    assert len({f.file.name for f in MaterialFile.objects.filter(name="身份证.pdf")}) == 1
    html = text(client.get(response["Location"]))
    code = re.search(r'id="receipt-code">(\d+)<', html)
    assert code is not None and query_code_matches(parent.query_code_hash, code.group(1))
    assert parent.number in html
    for name in ("出生医学证明首次签发", "户口登记（出生）", "城乡居民医保参保登记"):
        assert name in html
    again = client.get(reverse("applications_public:bundle_receipt"))
    assert again.status_code == 302 and again["Location"] == MINE


def test_a_missing_required_upload_is_named_next_to_it_and_nothing_is_saved(birth: Birth, media) -> None:
    client = signed_in(birth.citizen_user)
    response = client.post(apply_url(birth), post_data(birth, **{f"material_{birth.birth_record.pk}": None}))
    assert response.status_code == 400
    assert "请上传“分娩记录”" in row_errors(response, f"material_{birth.birth_record.pk}")
    assert "已选择的文件没有保存，请重新选择" in text(response)
    assert not BundleApplication.objects.exists() and not Application.objects.exists()
    assert not MaterialFile.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True


def test_a_missing_answer_is_named_and_nothing_is_saved(birth: Birth) -> None:
    response = signed_in(birth.citizen_user).post(apply_url(birth), post_data(birth, form_newborn_name=""))
    assert response.status_code == 400
    assert "请填写新生儿姓名" in row_errors(response, "form_newborn_name")
    assert not BundleApplication.objects.exists()


def test_posting_without_an_address_is_refused_on_the_address(birth: Birth) -> None:
    response = signed_in(birth.citizen_user).post(apply_url(birth), post_data(birth, delivery_method="post"))
    assert response.status_code in (400, 422)
    assert "邮寄地址" in row_errors(response, "postal_address")
    assert not BundleApplication.objects.exists()


# ---------------------------------------------------------------------------------------------
# 我的办件 and the bundle application's page


MINE_BUNDLES = reverse("applications_public:mine_bundles")


def test_mine_loads_the_bundle_section_and_lists_no_item_twice(birth: Birth) -> None:
    parent = accepted(birth)
    owner = signed_in(birth.citizen_user)
    html = text(owner.get(MINE))
    assert f'hx-get="{MINE_BUNDLES}" hx-trigger="load"' in html
    assert re.search(rf'<noscript>.*href="{MINE_BUNDLES}".*</noscript>', html, re.S)
    for child in parent.children.all():
        assert child.number not in html
    section = text(owner.get(MINE_BUNDLES, headers={"HX-Request": "true"}))
    assert "<html" not in section and 'id="my-bundles-section"' in section
    assert f'href="{detail_url(parent)}"' in section and "新生儿出生" in section
    assert "户口登记（出生）：已受理" in section and "等待前置事项“出生医学证明首次签发”" in section
    assert "<html" in text(owner.get(MINE_BUNDLES))  # the page itself, for a browser without scripts


def test_the_bundle_section_is_empty_without_bundles_and_asks_a_fixed_number_of_queries(
    birth: Birth, django_assert_max_num_queries
) -> None:
    owner = signed_in(birth.citizen_user)
    empty = text(owner.get(MINE_BUNDLES, headers={"HX-Request": "true"}))
    assert "一件事办件" not in empty
    apply(birth, idempotency_key="a")
    with django_assert_max_num_queries(12) as one:
        owner.get(MINE_BUNDLES, headers={"HX-Request": "true"})
    for key in "bcd":
        apply(birth, idempotency_key=key)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = text(owner.get(MINE_BUNDLES, headers={"HX-Request": "true"}))
    assert html.count("一件事</span>") == 4
    anonymous = Client().get(MINE_BUNDLES)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def test_the_bundle_page_shows_every_item_its_department_state_and_light(birth: Birth) -> None:
    parent = accepted(birth)
    finish(children(parent)["城乡居民医保参保登记"], birth.approvers["medical"])
    response = signed_in(birth.citizen_user).get(detail_url(parent))
    assert response.status_code == 200
    html = text(response)
    assert "办理中" in html and parent.due_at is not None
    assert timezone.localtime(parent.due_at).strftime("%Y年%m月%d日") in html
    for name, department in (
        ("出生医学证明首次签发", "卫生健康委员会"),
        ("户口登记（出生）", "公安局"),
        ("城乡居民医保参保登记", "医疗保障局"),
    ):
        assert name in html and department in html
    assert "等待前置事项“出生医学证明首次签发”" in html and "前置事项办结后起算" in html
    assert 'class="badge green">正常' in html
    assert "（准予许可）" in html
    # Public steps, each plain.
    assert "一件事网上申请已提交，等待窗口预审" in html
    assert "已受理，各事项已分送承办部门并联办理" in html
    assert "“城乡居民医保参保登记”已办结" in html
    notice = parent.notices.get(kind=NoticeKind.ACCEPTANCE)
    link = reverse("applications_public:bundle_notice_pdf", args=[parent.number, notice.number])
    assert f'href="{link}"' in html
    decision = Notice.objects.get(application__item=birth.medical, kind=NoticeKind.APPROVAL)
    item_link = reverse("applications_public:notice_pdf", args=[decision.application.number, decision.number])
    assert f'href="{item_link}"' in html and "准予许可决定书" in html
    assert signed_in(birth.citizen_user).get(item_link).status_code == 200
    pdf_response = signed_in(birth.citizen_user).get(link)
    assert pdf_response.status_code == 200 and pdf_response["Content-Type"] == "application/pdf"
    assert "private" in pdf_response["Cache-Control"] and "no-store" in pdf_response["Cache-Control"]


def test_a_refused_item_tells_the_applicant_what_remains(birth: Birth) -> None:
    parent = accepted(birth)
    finish(children(parent)["出生医学证明首次签发"], birth.approvers["health"], approved=False)
    html = text(signed_in(birth.citizen_user).get(detail_url(parent)))
    assert "已终止：户口登记（出生）" in html and "继续办理：城乡居民医保参保登记" in html
    assert "（不予许可）" in html and "已终止" in html


def test_another_citizen_sees_neither_the_page_nor_its_notices(client, birth: Birth) -> None:
    parent = accepted(birth)
    notice = parent.notices.get()
    pdf_url = reverse("applications_public:bundle_notice_pdf", args=[parent.number, notice.number])
    stranger = UserFactory(username="stranger", is_staff=False, department=None)
    CitizenFactory(user=stranger, name="李四")
    other = signed_in(stranger)
    assert other.get(detail_url(parent)).status_code == 404
    assert other.get(pdf_url).status_code == 404
    assert signed_in(birth.clerk).get(detail_url(parent)).status_code == 404
    anonymous = client.get(detail_url(parent))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert client.get(pdf_url).status_code == 404
    wrong = reverse("applications_public:bundle_notice_pdf", args=[parent.number, "SL-X"])
    assert signed_in(birth.citizen_user).get(wrong).status_code == 404


# ---------------------------------------------------------------------------------------------
# Tracking without an account


def test_a_yj_number_and_its_code_open_the_bundle_progress(client, birth: Birth) -> None:
    intake = apply(birth)
    parent = bundles.accept(bundle_application=intake.bundle_application, by=birth.clerk)
    status_url = reverse("applications_public:status", args=[parent.number])
    before = client.get(status_url)
    assert before.status_code == 200 and 'id="code-form"' in text(before)
    wrong = client.post(TRACK, {"number": parent.number, "code": "00000000"})
    assert wrong.status_code == 404 and GENERIC in text(wrong)
    response = client.post(TRACK, {"number": parent.number.lower(), "code": intake.query_code})
    assert response.status_code == 302 and response["Location"] == status_url
    html = text(client.get(status_url))
    assert "新生儿出生" in html and "办理中" in html
    assert "户口登记（出生）" in html and "等待前置事项“出生医学证明首次签发”" in html
    assert "已受理，各事项已分送承办部门并联办理" in html
    for private in ("张妈妈", "13900002222", birth.citizen.id_number, "张小宝"):
        assert private not in html
    assert "查看文书" not in html  # not the owner


def test_tracking_a_bundle_does_not_open_an_application_that_shares_its_id(client, birth: Birth) -> None:
    child = children(apply(birth).bundle_application)["城乡居民医保参保登记"]
    session = client.session  # ids are per table: a bundle application tracked under a child's id
    session[SESSION_TRACKED_BUNDLES] = [child.pk]
    session.save()
    page = text(client.get(reverse("applications_public:status", args=[child.number])))
    assert 'id="code-form"' in page and "办理过程" not in page


def test_the_owner_sees_the_progress_without_the_code(birth: Birth) -> None:
    parent = accepted(birth)
    html = text(
        signed_in(birth.citizen_user).get(reverse("applications_public:status", args=[parent.number]))
    )
    assert "各事项办理情况" in html and f'href="{detail_url(parent)}"' in html


# ---------------------------------------------------------------------------------------------
# Notices as PDF


def test_the_acceptance_notice_lists_every_item_and_its_qr_opens_the_tracking_page(birth: Birth) -> None:
    intake = apply(birth)
    parent = bundles.accept(bundle_application=intake.bundle_application, by=birth.clerk)
    notice = Notice.objects.get(bundle_application=parent, kind=NoticeKind.ACCEPTANCE)
    reader, pdf_text = read_pdf(notice_pdf.render(notice))
    assert len(reader.pages) == 1
    for expected in (
        "受理通知书",
        "《新生儿出生一件事》",
        "决定予以受理",
        "出生医学证明首次签发",
        "卫生健康委员会",
        "户口登记（出生）",
        "公安局",
        "城乡居民医保参保登记",
        "医疗保障局",
        "待前置事项办结后起算",
        f"办件编号：{parent.number}",
    ):
        assert expected in pdf_text, expected
    medical = children(parent)["城乡居民医保参保登记"]
    assert timezone.localtime(medical.due_at).strftime("%Y年%m月%d日") in pdf_text
    # The QR code is the tracking page of the YJ- number, and that page opens the bundle's progress.
    from tests.applications.test_pdf import drawn_qr

    url = notice_pdf.progress_url(parent.number)
    expected_qr = [[bool(m) for m in row] for row in segno.make_qr(url, error="m").matrix]
    assert drawn_qr(reader) == expected_qr
    assert resolve(url).url_name == "status"
    client = Client()
    client.post(url, {"code": intake.query_code})
    assert "各事项办理情况" in text(client.get(url))


def test_the_service_receipt_prints_every_result_handed_over(birth: Birth) -> None:
    parent = delivered(birth)
    notice = Notice.objects.get(bundle_application=parent, kind=NoticeKind.SERVICE)
    reader, pdf_text = read_pdf(notice_pdf.render(notice))
    assert len(reader.pages) == 1
    assert "送达回证" in pdf_text and f"一件事办件编号{parent.number}" in pdf_text
    for part in notice.data["documents"].split("；"):
        assert flat(part) in pdf_text
    assert "出生医学证明" in pdf_text and "参保登记回执" in pdf_text and "窗口领取" in pdf_text


# ---------------------------------------------------------------------------------------------
# 实际成效


def realised_url(b: Birth) -> str:
    return reverse("applications_public:bundle_realised", args=[b.bundle.pk])


def test_the_realised_block_says_plainly_when_none_is_completed(client, birth: Birth) -> None:
    accepted(birth)
    html = text(client.get(realised_url(birth), headers={"HX-Request": "true"}))
    assert "暂无实际成效数据" in html and "<html" not in html


def test_the_realised_block_counts_a_completed_bundle_application(client, birth: Birth) -> None:
    delivered(birth)
    response = client.get(realised_url(birth), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = flat(text(response))
    assert "<html" not in html and "已办结一件事办件<b>1</b>件" in html
    # Online and collected once: 1 trip against 1 + 2 + 1; 3 materials against 7; 3 steps against 9.
    assert '<th>跑动次数（次）</th><tdclass="num">4</td><tdclass="num">1</td><tdclass="num">3</td>' in html
    assert '<th>提交材料（份）</th><tdclass="num">7</td><tdclass="num">3</td><tdclass="num">4</td>' in html
    assert '<th>办理环节（个）</th><tdclass="num">9</td><tdclass="num">3</td><tdclass="num">6</td>' in html
    assert "<b>75.0%</b>" in html
    # The whole page for a browser without scripts, with the period form.
    page = text(client.get(realised_url(birth)))
    assert "<html" in page and "开始日期" in page and "结束日期" in page


def test_the_period_form_narrows_and_checks_the_dates(client, birth: Birth) -> None:
    delivered(birth)
    today = timezone.localdate()
    later = (today + timezone.timedelta(days=30)).isoformat()
    html = text(client.get(realised_url(birth), {"start": later}, headers={"HX-Request": "true"}))
    assert "暂无实际成效数据" in html
    html = text(client.get(realised_url(birth), {"start": today.isoformat(), "end": today.isoformat()}))
    assert "已办结一件事办件 <b>1</b> 件" in html
    bad = client.get(
        realised_url(birth), {"start": today.isoformat(), "end": "2000-01-01"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in text(bad) and "<html" not in text(bad)
    # The guide page swaps a 400 in like an answer, so the refusal shows where the figures were.
    guide = text(client.get(reverse("catalog:bundle_guide", args=[birth.bundle.pk])))
    assert '"code":"(400|403|409|422)","swap":true' in guide
    bad = client.get(realised_url(birth), {"start": "昨天"})
    assert bad.status_code == 400 and "开始日期格式不正确" in text(bad)


def test_realised_figures_are_per_bundle(client, birth: Birth) -> None:
    from tests.catalog.factories import BundleFactory

    other = BundleFactory(name="另一件事")
    delivered(birth)
    html = text(client.get(reverse("applications_public:bundle_realised", args=[other.pk])))
    assert "暂无实际成效数据" in html
    assert Decimal(1) == Decimal(BundleApplication.objects.filter(bundle=birth.bundle).count())
