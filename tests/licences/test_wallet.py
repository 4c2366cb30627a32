"""我的证照: the holder sees their own licences (and their enterprises'), downloads the PDF, grants
share links that expire or are revoked, and every use shows in the use log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import CitizenFactory, UserFactory
from zhengwu.licences import services
from zhengwu.licences.models import LicenceShare, LicenceUse, UseKind


def holder_client(citizen) -> tuple[Client, object]:
    user = UserFactory(is_staff=False, department=None, name=citizen.name)
    citizen.user = user
    citizen.save(update_fields=["user"])
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def me(citizen):
    return holder_client(citizen)


def test_wallet_lists_my_licences_and_my_enterprises_not_others(
    me, make_licence, citizen, enterprise, issuer
):
    client, user = me
    from tests.factories import LicenceTypeFactory

    company_type = LicenceTypeFactory(
        name="营业执照（测试）", defining_department=issuer, holder_kind="organisation"
    )
    enterprise.users.add(user)
    mine = make_licence()
    company = make_licence(
        holder=enterprise, licence_type=company_type, surface={"address": "示范市科技路8号"}
    )
    stranger = make_licence(holder=CitizenFactory(name="王五"))
    page = client.get(reverse("licences:mine"))
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.number in html and company.number in html and stranger.number not in html
    assert "2031-06-09" in html and "有效" in html
    found = client.get(reverse("licences:mine"), {"q": "营业执照"}).content.decode()
    assert company.number in found and f">{mine.number}<" not in found


def test_another_holders_licence_is_404_on_page_pdf_share_and_uses(me, make_licence):
    client, _ = me
    other = make_licence(holder=CitizenFactory(name="王五"))
    for name in ("detail", "pdf", "share"):
        assert client.get(reverse(f"licences:{name}", args=[other.pk])).status_code == 404
    assert client.get(reverse("licences:uses"), {"licence": other.pk}).status_code == 404
    assert not LicenceUse.objects.filter(licence=other).exists()


def test_holder_pages_need_login(make_licence):
    licence = make_licence()
    response = Client().get(reverse("licences:detail", args=[licence.pk]))
    assert response.status_code == 302 and "next=" in response["Location"]


def test_detail_shows_surface_state_and_qr_and_the_pdf_download_is_logged(me, make_licence):
    client, user = me
    licence = make_licence()
    html = client.get(reverse("licences:detail", args=[licence.pk])).content.decode()
    assert licence.identifier in html and "示范市中原路1号" in html and "<svg" in html
    response = client.get(reverse("licences:pdf", args=[licence.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content) if response.streaming else response.content
    text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(data)).pages)
    assert licence.number in text or licence.identifier.replace(".", "") in text.replace(".", "").replace(
        "\n", ""
    )
    use = LicenceUse.objects.get(licence=licence)
    assert (use.kind, use.purpose, use.user) == (UseKind.DOWNLOAD, "持证人下载", user)
    log = client.get(reverse("licences:uses")).content.decode()
    assert "持证人下载" in log and "下载" in log


def grant(client, licence, **changes):
    body = {"organisation": "示范银行中原支行", "purpose": "办理贷款核验营业执照", "days": 3, **changes}
    return client.post(reverse("licences:share", args=[licence.pk]), body)


def link_of(response) -> str:
    match = re.search(r'id="share-link"[^>]*value="([^"]+)"', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1).replace("http://testserver", "")


def test_share_link_works_until_it_expires_and_every_view_is_logged(me, make_licence, time_machine):
    client, _ = me
    licence = make_licence()
    response = grant(client, licence)
    assert response.status_code == 200 and "只显示这一次" in response.content.decode()
    link = link_of(response)
    viewer = Client()
    seen = viewer.get(link)
    assert seen.status_code == 200 and licence.number in seen.content.decode()
    pdf = viewer.get(link + "pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    uses = LicenceUse.objects.filter(licence=licence, kind=UseKind.SHARE)
    assert uses.count() == 2 and {u.used_by for u in uses} == {"示范银行中原支行"}
    log = client.get(reverse("licences:uses"), {"licence": licence.pk}).content.decode()
    assert log.count("示范银行中原支行") == 2 and "办理贷款核验营业执照" in log
    time_machine.move_to(LicenceShare.objects.get().expires_at + dt.timedelta(minutes=1))  # the clock ticks
    refused = viewer.get(link)
    assert refused.status_code == 403 and "过期" in refused.content.decode()
    assert viewer.get(link + "pdf/").status_code == 403
    assert LicenceUse.objects.filter(licence=licence, kind=UseKind.SHARE).count() == 2


def test_revoked_share_is_refused_and_an_unknown_token_is_404(me, make_licence):
    client, _ = me
    licence = make_licence()
    link = link_of(grant(client, licence))
    share = LicenceShare.objects.get(licence=licence)
    confirm = client.get(reverse("licences:share_revoke", args=[share.pk]))
    assert confirm.status_code == 200 and "确认撤销" in confirm.content.decode()
    assert client.post(reverse("licences:share_revoke", args=[share.pk])).status_code == 302
    refused = Client().get(link)
    assert refused.status_code == 403 and "撤销" in refused.content.decode()
    assert Client().get(reverse("licences:shared", args=["no-such-token"])).status_code == 404
    assert not LicenceUse.objects.filter(kind=UseKind.SHARE).exists()


def test_share_form_refuses_bad_days_and_another_holder_cannot_revoke(me, make_licence):
    client, _ = me
    licence = make_licence()
    response = grant(client, licence, days=91)
    assert response.status_code == 400 and "1至90天" in response.content.decode()
    assert not LicenceShare.objects.exists()
    link_of(grant(client, licence))
    share = LicenceShare.objects.get()
    other, _ = holder_client(CitizenFactory(name="王五"))
    assert other.post(reverse("licences:share_revoke", args=[share.pk])).status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None


def test_no_share_of_a_cancelled_licence(me, make_licence, make_user, issuer):
    client, _ = me
    licence = make_licence()
    services.end(
        licence=licence,
        by=make_user("approver", department=issuer),
        state="cancelled",
        reason="持证人申请注销",
    )
    response = grant(client, licence)
    assert response.status_code == 409 and "只能授权使用有效的证照" in response.content.decode()
    assert "已注销" in client.get(reverse("licences:mine")).content.decode()


def test_wallet_and_use_log_pages_take_a_fixed_number_of_queries(
    me, make_licence, django_assert_max_num_queries
):
    client, _ = me
    for _ in range(3):
        licence = make_licence()
        services.log_use(licence, kind=UseKind.VERIFY, used_by="公众核验", purpose="核验")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("licences:mine")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("licences:uses")).status_code == 200
    for _ in range(5):
        licence = make_licence()
        services.log_use(licence, kind=UseKind.VERIFY, used_by="公众核验", purpose="核验")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("licences:mine")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("licences:uses")).status_code == 200
