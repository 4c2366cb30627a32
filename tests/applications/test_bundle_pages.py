"""The staff pages of 一件事办件: who may open the list, the page and the worklists (and who gets 403 or
404), 预审 受理 through the page sending every child to its department's queue, 出件 once for every
child, the child's page pointing at its bundle without an 出件 of its own, 综合受理 of a whole bundle
at the window (and its refusal of a 关键材料 容缺, nothing saved), the Excel export read back, and
the admin."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.applications.test_bundles import FORM, Birth, apply, children, finish, make_birth
from tests.factories import DepartmentFactory, UserFactory
from zhengwu.applications import bundles
from zhengwu.applications.models import (
    Application,
    BundleApplication,
    BundleState,
    MaterialStatus,
    Notice,
    NoticeKind,
)
from zhengwu.applications.workflow import ApplicationState

S = ApplicationState
B = BundleState
STALE = "已被他人修改"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def birth(db) -> Birth:
    return make_birth()


def page(parent: BundleApplication) -> str:
    return reverse("applications:bundle_detail", args=[parent.number])


def act(parent: BundleApplication, action: str) -> str:
    return reverse("applications:bundle_act", args=[parent.number, action])


def fresh(parent: BundleApplication) -> BundleApplication:
    return BundleApplication.objects.get(pk=parent.pk)


def get(client, user, url: str, **kwargs: Any):
    client.force_login(user)
    return client.get(url, **kwargs)


def offered(html: str) -> set[str]:
    return set(re.findall(r'<form[^>]*data-action="([a-z_]+)"', html))


def accept_data(b: Birth, parent: BundleApplication, **marks: Any) -> dict[str, Any]:
    """The 预审 form as the clerk leaves it: every uploaded line 已收, no paper counted."""
    data: dict[str, Any] = {"version": fresh(parent).version, "note": "材料齐全"}
    for material in (b.id_card, b.birth_record, b.hukou_book):
        data[f"materials.{material.pk}"] = MaterialStatus.RECEIVED
    data.update(marks)
    return data


def accepted(b: Birth) -> BundleApplication:
    return bundles.accept(bundle_application=apply(b).bundle_application, by=b.clerk)


def all_done(b: Birth, parent: BundleApplication) -> BundleApplication:
    kids = children(parent)
    for name, dept in (
        ("出生医学证明首次签发", "health"),
        ("城乡居民医保参保登记", "medical"),
        ("户口登记（出生）", "police"),
    ):
        finish(Application.objects.get(pk=kids[name].pk), b.approvers[dept])
    return fresh(parent)


# ---------------------------------------------------------------------------------------------
# Who may open what


def test_the_bundle_page_opens_for_the_window_delivery_and_each_department_only(birth: Birth, client) -> None:
    parent = accepted(birth)
    for user in (birth.clerk, birth.delivery, *birth.approvers.values()):
        response = get(client, user, page(parent))
        assert response.status_code == 200, user
        html = response.content.decode()
        assert parent.number in html and "新生儿出生" in html
    stranger = UserFactory(roles=["approver"], department=DepartmentFactory(name="住房和城乡建设局"))
    assert get(client, stranger, page(parent)).status_code == 404
    assert (
        get(client, stranger, reverse("applications:bundle_list")).content.decode().count(parent.number) == 0
    )
    for url in (page(parent), reverse("applications:bundle_list"), reverse("applications:bundle_export")):
        assert get(client, birth.citizen_user, url).status_code == 403
    client.logout()
    response = client.get(page(parent))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_shows_every_child_its_department_light_and_the_one_waiting(birth: Birth, client) -> None:
    parent = accepted(birth)
    kids = children(parent)
    html = get(client, birth.approvers["police"], page(parent)).content.decode()
    for child in kids.values():
        assert child.number in html and child.department.name in html
    assert "等待前置事项“出生医学证明首次签发”" in html
    # The police approver opens their own child; the others are listed without a link.
    assert reverse("applications:detail", args=[kids["户口登记（出生）"].number]) in html
    assert reverse("applications:detail", args=[kids["城乡居民医保参保登记"].number]) not in html
    # The merged form once, the ID card once, the certificate 免提交, the history, the notice.
    assert html.count("新生儿姓名") == 1 and "张小宝" in html
    materials = html.split('id="materials"')[1].split("</table>")[0]
    assert materials.count("居民身份证") == 1
    assert "由本一件事“出生医学证明首次签发”的办理结果提供" in materials
    assert 'data-event="accept"' in html
    notice = Notice.objects.get(bundle_application=parent, kind=NoticeKind.ACCEPTANCE)
    assert reverse("applications:bundle_notice", args=[parent.number, notice.number]) in html
    assert not offered(html)  # an approver takes no step on the whole bundle


def test_the_list_searches_and_filters_and_counts(birth: Birth, client) -> None:
    waiting = apply(birth).bundle_application
    taken = accepted(birth)
    client.force_login(birth.clerk)
    url = reverse("applications:bundle_list")
    html = client.get(url).content.decode()
    assert waiting.number in html and taken.number in html
    html = client.get(url, {"state": B.SUBMITTED}).content.decode()
    assert waiting.number in html and taken.number not in html
    html = client.get(url, {"q": taken.number}).content.decode()
    assert taken.number in html and waiting.number not in html
    assert waiting.number in client.get(url, {"q": "张妈妈"}).content.decode()
    assert client.get(url, {"q": "营业执照"}).content.decode().count('data-number="YJ-') == 0
    assert waiting.number in client.get(url, {"bundle": birth.bundle.pk}).content.decode()
    partial = client.get(url, {"state": B.IN_PROGRESS}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and taken.number in partial


# ---------------------------------------------------------------------------------------------
# 预审 受理 on the page


def test_accepting_an_online_bundle_sends_each_child_to_its_department(birth: Birth, client) -> None:
    parent = apply(birth).bundle_application
    queue = get(client, birth.clerk, reverse("applications:window_queue")).content.decode()
    assert parent.number in queue  # the bundle waits for 预审 as a whole …
    for child in parent.children.all():
        assert child.number not in queue  # … its children not on their own
    html = client.get(page(parent)).content.decode()
    assert {"accept", "refuse"} <= offered(html)
    assert 'data-confirm="受理后各事项分送各部门办理' in html

    response = client.post(act(parent, "accept"), accept_data(birth, parent))
    assert response.status_code == 302
    parent = fresh(parent)
    assert parent.state == B.IN_PROGRESS
    assert set(parent.children.values_list("state", flat=True)) == {S.ACCEPTED}
    kids = children(parent)
    for dept, name in (
        ("health", "出生医学证明首次签发"),
        ("police", "户口登记（出生）"),
        ("medical", "城乡居民医保参保登记"),
    ):
        queue = get(client, birth.approvers[dept], reverse("applications:review_queue")).content.decode()
        assert kids[name].number in queue
        assert all(c.number not in queue for n, c in kids.items() if n != name)


def test_a_stale_or_wrong_acceptance_is_refused_with_the_reason_and_nothing_saved(
    birth: Birth, client
) -> None:
    parent = apply(birth).bundle_application
    client.force_login(birth.clerk)
    data = accept_data(birth, parent)
    data["version"] = parent.version + 5
    response = client.post(act(parent, "accept"), data)
    assert response.status_code == 409 and STALE in response.content.decode()
    data = accept_data(
        birth,
        parent,
        **{
            f"materials.{birth.id_card.pk}": MaterialStatus.DEFERRED,
            f"materials.{birth.id_card.pk}.defer_days": 2,
        },
    )
    response = client.post(act(parent, "accept"), data)
    assert response.status_code == 400 and "“居民身份证”是关键材料，不能容缺受理" in response.content.decode()
    assert fresh(parent).state == B.SUBMITTED
    assert set(parent.children.values_list("state", flat=True)) == {S.SUBMITTED}
    # The delivery clerk may not take it in.
    client.force_login(birth.delivery)
    response = client.post(act(parent, "accept"), accept_data(birth, parent))
    assert response.status_code == 403 and fresh(parent).state == B.SUBMITTED


def test_refusing_the_bundle_on_the_page_closes_it_with_one_notice(birth: Birth, client) -> None:
    parent = apply(birth).bundle_application
    client.force_login(birth.clerk)
    response = client.post(act(parent, "refuse"), {"version": parent.version, "reason": ""})
    assert response.status_code == 400 and fresh(parent).state == B.SUBMITTED
    response = client.post(
        act(parent, "refuse"), {"version": parent.version, "reason": "不属于本市助产机构出生"}, follow=True
    )
    assert response.status_code == 200 and "已不予受理" in response.content.decode()
    assert fresh(parent).state == B.NOT_ACCEPTED
    assert Notice.objects.filter(bundle_application=parent, kind=NoticeKind.REFUSAL).count() == 1


# ---------------------------------------------------------------------------------------------
# The children's pages, 出件 once


def test_a_childs_page_names_its_bundle_and_has_no_delivery_of_its_own(birth: Birth, client) -> None:
    parent = accepted(birth)
    kids = children(parent)
    hukou = kids["户口登记（出生）"]
    html = get(
        client, birth.approvers["police"], reverse("applications:detail", args=[hukou.number])
    ).content.decode()
    assert f'属于一件事办件 <a href="{page(parent)}">{parent.number}</a>' in html
    assert "等待前置事项“出生医学证明首次签发”办结，办理时限暂停" in html
    assert "review" not in offered(html)
    parent = all_done(birth, parent)
    assert parent.state == B.COMPLETED
    cert = kids["出生医学证明首次签发"]
    html = get(client, birth.delivery, reverse("applications:detail", args=[cert.number])).content.decode()
    assert "属于一件事办件" in html
    assert not offered(html) & {"hand_over", "post", "confirm_receipt"}


def test_delivery_hands_every_result_over_once(birth: Birth, client) -> None:
    parent = all_done(birth, accepted(birth))
    queue = get(client, birth.delivery, reverse("applications:delivery_queue")).content.decode()
    assert parent.number in queue
    for child in parent.children.all():
        assert child.number not in queue  # handed over with their bundle, not one by one
    html = client.get(page(parent)).content.decode()
    assert "hand_over" in offered(html) and "post" not in offered(html)
    assert 'data-confirm="确认已核对领取人身份' in html
    response = client.post(
        act(parent, "hand_over"),
        {"version": parent.version, "recipient_name": "张妈妈", "recipient_id_number": "123"},
    )
    assert response.status_code in (400, 422) and fresh(parent).state == B.COMPLETED
    response = client.post(
        act(parent, "hand_over"),
        {
            "version": parent.version,
            "recipient_name": "张妈妈",
            "recipient_id_number": birth.citizen.id_number,
        },
    )
    assert response.status_code == 302
    parent = fresh(parent)
    assert parent.state == B.DELIVERED
    assert set(parent.children.values_list("state", flat=True)) == {S.DELIVERED}
    service = Notice.objects.get(bundle_application=parent, kind=NoticeKind.SERVICE)
    # Once: a second 出件 is refused.
    response = client.post(
        act(parent, "hand_over"),
        {
            "version": parent.version,
            "recipient_name": "张妈妈",
            "recipient_id_number": birth.citizen.id_number,
        },
    )
    assert response.status_code == 409 and "不能出件" in response.content.decode()
    assert Notice.objects.filter(bundle_application=parent, kind=NoticeKind.SERVICE).count() == 1
    queue = client.get(reverse("applications:delivery_queue")).content.decode()
    assert parent.number not in queue
    pdf = client.get(reverse("applications:bundle_notice", args=[parent.number, service.number]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(reverse("applications:bundle_notice", args=[parent.number, "NOPE"])).status_code == 404


def test_posting_every_result_in_one_parcel_then_confirming_receipt(db, client) -> None:
    b = make_birth()
    parent = apply(b, delivery_method="post", postal_address="示范市中原路2号").bundle_application
    parent = bundles.accept(bundle_application=parent, by=b.clerk)
    parent = all_done(b, parent)
    client.force_login(b.delivery)
    html = client.get(page(parent)).content.decode()
    assert {"hand_over", "post"} <= offered(html)
    response = client.post(
        act(parent, "post"), {"version": parent.version, "tracking_number": "EA123456785CN"}
    )
    assert response.status_code == 302 and fresh(parent).state == B.POSTED
    assert set(parent.children.values_list("state", flat=True)) == {S.POSTED}
    queue = client.get(reverse("applications:delivery_queue")).content.decode()
    assert parent.number in queue
    response = client.post(act(parent, "confirm_receipt"), {"version": fresh(parent).version})
    assert response.status_code == 302 and fresh(parent).state == B.DELIVERED
    assert set(parent.children.values_list("state", flat=True)) == {S.DELIVERED}


# ---------------------------------------------------------------------------------------------
# 综合受理 of a whole bundle


def _intake_post(b: Birth, **marks: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": b.citizen.id_number,
        "idempotency_key": "intake-bundle-1",
        "contact_name": "张妈妈",
        "contact_phone": "13900002222",
        "delivery_method": "pickup",
        "outcome": "accept",
        **{f"form_{k}": v for k, v in FORM.items()},
        f"materials.{b.id_card.pk}": MaterialStatus.RECEIVED,
        f"materials.{b.id_card.pk}.originals": 1,
        f"materials.{b.id_card.pk}.copies": 1,
        f"materials.{b.birth_record.pk}": MaterialStatus.RECEIVED,
        f"materials.{b.birth_record.pk}.originals": 1,
        f"materials.{b.hukou_book.pk}": MaterialStatus.DEFERRED,
        f"materials.{b.hukou_book.pk}.commitment": "三日内补交户口簿",
        f"materials.{b.hukou_book.pk}.defer_days": 3,
    }
    data.update(marks)
    return data


def test_the_intake_search_offers_the_bundle_and_its_screen_asks_once(birth: Birth, client) -> None:
    client.force_login(birth.clerk)
    found = client.get(
        reverse("applications:intake_items"),
        {"q": "新生儿", "code": birth.citizen.id_number},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "一件事：新生儿出生（3个事项）" in found
    url = reverse("applications:intake_bundle", args=[birth.bundle.pk])
    assert url in found
    html = client.get(url, {"code": birth.citizen.id_number}).content.decode()
    assert html.count('name="form_newborn_name"') == 1
    assert html.count(f'name="materials.{birth.id_card.pk}"') >= 1
    assert "由本一件事“出生医学证明首次签发”的办理结果提供" in html
    assert "出生医学证明首次签发" in html and "户口登记（出生）" in html
    # The ID card is critical: 容缺 is not offered for it.
    assert f'name="materials.{birth.id_card.pk}" value="deferred"' not in html
    assert f'name="materials.{birth.hukou_book.pk}" value="deferred"' in html
    assert get(client, birth.approvers["health"], url).status_code == 403


def test_window_intake_of_a_bundle_accepts_once_and_shows_the_receipt(birth: Birth, client) -> None:
    client.force_login(birth.clerk)
    url = reverse("applications:intake_bundle", args=[birth.bundle.pk])
    response = client.post(url, _intake_post(birth))
    assert response.status_code == 302, response.content.decode()[:2000]
    parent = BundleApplication.objects.get()
    assert response["Location"] == reverse("applications:intake_bundle_done", args=[parent.number])
    assert parent.state == B.IN_PROGRESS and parent.form_data["newborn_name"] == "张小宝"
    assert parent.children.count() == 3
    receipt = client.get(response["Location"]).content.decode()
    assert parent.number in receipt and 'id="receipt-code"' in receipt
    notice = Notice.objects.get(bundle_application=parent, kind=NoticeKind.ACCEPTANCE)
    pdf_url = reverse("applications:bundle_notice", args=[parent.number, notice.number])
    assert pdf_url in receipt
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "等待前置事项“出生医学证明首次签发”办结后开始计时" in receipt
    again = client.get(response["Location"]).content.decode()
    assert 'id="receipt-code"' not in again and "receipt-code-gone" in again  # shown once
    # A double click is the same application.
    assert client.post(url, _intake_post(birth)).status_code == 302
    assert BundleApplication.objects.count() == 1


def test_window_intake_refuses_a_critical_material_deferred_and_saves_nothing(birth: Birth, client) -> None:
    client.force_login(birth.clerk)
    url = reverse("applications:intake_bundle", args=[birth.bundle.pk])
    data = _intake_post(
        birth,
        **{
            f"materials.{birth.id_card.pk}": MaterialStatus.DEFERRED,
            f"materials.{birth.id_card.pk}.commitment": "明天补",
            f"materials.{birth.id_card.pk}.defer_days": 1,
        },
    )
    response = client.post(url, data)
    assert response.status_code == 400
    assert "“居民身份证”是关键材料，不能容缺受理" in response.content.decode()
    assert not BundleApplication.objects.exists() and not Application.objects.exists()
    # A required material left unmarked, and a refusal without its reason, are named too.
    data = _intake_post(birth)
    del data[f"materials.{birth.birth_record.pk}"]
    response = client.post(url, data)
    assert response.status_code == 400 and "“分娩记录”未收取" in response.content.decode()
    response = client.post(url, _intake_post(birth, outcome="refuse"))
    assert response.status_code == 400 and "请填写不予受理理由" in response.content.decode()
    assert not BundleApplication.objects.exists()


def test_a_bundle_whose_items_conflict_cannot_be_taken_in(birth: Birth, client) -> None:
    birth.medical.form_fields = [{"name": "newborn_name", "label": "参保人姓名"}]
    birth.medical.save()
    client.force_login(birth.clerk)
    url = reverse("applications:intake_bundle", args=[birth.bundle.pk])
    html = client.get(url, {"code": birth.citizen.id_number}).content.decode()
    assert "该一件事的定义有问题，暂不能受理" in html
    response = client.post(url, _intake_post(birth))
    assert response.status_code == 409 and "定义有问题" in response.content.decode()
    assert not BundleApplication.objects.exists() and not Application.objects.exists()


# ---------------------------------------------------------------------------------------------
# The export, the admin


def test_the_export_opens_back_with_each_bundle_and_its_children(birth: Birth, client) -> None:
    parent = accepted(birth)
    other = apply(birth).bundle_application
    client.force_login(birth.clerk)
    response = client.get(reverse("applications:bundle_export"), {"state": B.IN_PROGRESS})
    assert response.status_code == 200 and ".xlsx" in response["Content-Disposition"]
    wb = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["一件事办件", "子办件"]
    header, *rows = [list(r) for r in wb["一件事办件"].iter_rows(values_only=True)]
    rows = [dict(zip(header, r, strict=False)) for r in rows]
    assert [r["一件事办件编号"] for r in rows] == [parent.number]
    assert other.number not in [r["一件事办件编号"] for r in rows]
    row = rows[0]
    assert row["一件事"] == "新生儿出生" and row["状态"] == "办理中" and row["事项数"] == 3
    assert row["申请人证件号码"] != birth.citizen.id_number and "*" in row["申请人证件号码"]
    header, *kids = [list(r) for r in wb["子办件"].iter_rows(values_only=True)]
    kids = [dict(zip(header, r, strict=False)) for r in kids]
    assert {k["事项名称"] for k in kids} == {
        "出生医学证明首次签发",
        "户口登记（出生）",
        "城乡居民医保参保登记",
    }
    assert next(k for k in kids if k["事项名称"] == "户口登记（出生）")["前置事项"] == "出生医学证明首次签发"


def test_the_admin_shows_bundle_applications_read_only_to_administrators(birth: Birth, client) -> None:
    parent = accepted(birth)
    admin_user = UserFactory(roles=["admin"], name="陈管理")
    client.force_login(admin_user)
    listing = client.get(reverse("admin:applications_bundleapplication_changelist"), {"q": parent.number})
    assert listing.status_code == 200 and parent.number in listing.content.decode()
    change = client.get(reverse("admin:applications_bundleapplication_change", args=[parent.pk]))
    html = change.content.decode()
    assert change.status_code == 200 and 'name="_save"' not in html
    for child in parent.children.all():
        assert child.number in html
    assert birth.citizen.id_number not in html and "13900002222" not in html
    id_number = birth.citizen.id_number
    assert id_number[:4] + "**********" + id_number[-4:] in listing.content.decode()
    events = client.get(reverse("admin:applications_bundleevent_changelist"))
    assert events.status_code == 200 and parent.number in events.content.decode()
    event = parent.events.order_by("seq").first()
    html = client.get(reverse("admin:applications_bundleevent_change", args=[event.pk])).content.decode()
    assert "submit" in html and id_number not in html and 'name="_save"' not in html
    assert client.get(reverse("admin:applications_bundleapplication_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:applications_bundleapplication_delete", args=[parent.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    client.force_login(birth.clerk)
    response = client.get(reverse("admin:applications_bundleapplication_changelist"))
    assert response.status_code in (302, 403)
    assert BundleApplication.objects.filter(pk=parent.pk, state=B.IN_PROGRESS).exists()


def test_the_list_and_the_worklists_read_a_fixed_number_of_queries(
    birth: Birth, client, django_assert_max_num_queries
) -> None:
    apply(birth)
    client.force_login(birth.clerk)
    urls = (reverse("applications:bundle_list"), reverse("applications:window_queue"))
    counts = []
    for url in urls:
        with django_assert_max_num_queries(30) as one:
            assert client.get(url).status_code == 200
        counts.append(len(one.captured_queries))
    for _ in range(3):
        apply(birth)
    for url, n in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(n):
            html = client.get(url).content.decode()
        assert html.count('data-number="YJ-') == 4


def test_an_action_under_htmx_gets_the_pages_area_back_with_its_message(birth: Birth, client) -> None:
    parent = apply(birth).bundle_application
    client.force_login(birth.clerk)
    response = client.post(
        act(parent, "refuse"), {"version": parent.version, "reason": ""}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 400 and "<html" not in html and 'id="bundle-detail"' in html
    assert "请检查填写的内容" in html
    response = client.post(
        act(parent, "refuse"),
        {"version": parent.version, "reason": "材料不实"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "已不予受理" in html and "<html" not in html
    assert client.post(act(parent, "explode"), {"version": 1}).status_code == 404


def test_a_new_applicant_registered_at_the_bundle_intake_comes_back_to_it(birth: Birth, client) -> None:
    client.force_login(birth.clerk)
    url = reverse("applications:intake_bundle", args=[birth.bundle.pk])
    code = "11010519491231002X"
    html = client.get(url, {"code": code}).content.decode()
    assert "登记新申请人" in html and f'name="bundle" value="{birth.bundle.pk}"' in html
    response = client.post(
        reverse("applications:intake_register"),
        {"kind": "person", "code": code, "name": "李爸爸", "phone": "13900003333", "bundle": birth.bundle.pk},
    )
    assert response.status_code == 302 and response["Location"] == f"{url}?code={code}"
    html = client.get(response["Location"]).content.decode()
    assert "李爸爸" in html and 'name="form_newborn_name"' in html
    response = client.post(
        reverse("applications:intake_register"),
        {"kind": "person", "code": "110105194912310021", "name": "王", "bundle": birth.bundle.pk},
        headers={"HX-Request": "true"},
    )
    assert (
        response.status_code == 400
        and f'name="bundle" value="{birth.bundle.pk}"' in response.content.decode()
    )
