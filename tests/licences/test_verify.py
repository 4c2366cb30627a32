"""Verification anyone can do: the public page and API, the published keys, the use log, and what
a public page may show of the holder."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from zhengwu.core.validators import mask_name
from zhengwu.licences import crypto, services
from zhengwu.licences.models import LicenceUse, UseKind
from zhengwu.licences.pdf import render_pdf
from zhengwu.licences.public_views import VERIFY_FAILURES

VERIFY = "/licences/verify/"
API = "/api/licences/verify/"


@pytest.fixture
def officer(issuer):
    return UserFactory(department=issuer)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _query(licence) -> str:
    return urlsplit(services.qr_text(licence)).query


def _page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_verify_path_is_the_one_printed_in_qr_codes():
    assert reverse("licences_public:verify") == services.VERIFY_PATH == VERIFY


@pytest.mark.parametrize(
    "name, masked", [("李四", "李*"), ("张三丰", "张*丰"), ("欧阳娜娜", "欧**娜"), ("王", "王")]
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


# ---------------------------------------------------------------------------------------------
# The page


def test_empty_page_offers_three_ways(client, db):
    response = client.get(VERIFY)
    assert response.status_code == 200
    text = _page_text(response)
    for shown in ("电子证照核验", "输入证照标识", "粘贴二维码内容", "上传电子证照PDF", "/licences/keys/"):
        assert shown in text
    assert 'name="identifier"' in response.content.decode() and 'type="file"' in response.content.decode()


def test_a_scanned_qr_url_verifies_at_once_and_is_logged(client, make_licence):
    licence = make_licence()
    response = client.get(f"{VERIFY}?{_query(licence)}")
    assert response.status_code == 200
    text = _page_text(response)
    assert "有效" in text and "SM2签名" in text and "通过" in text
    assert licence.identifier in text and "测试许可证" in text and "示范市测试发证局" in text
    assert "李*" in text and "李四" not in text
    assert licence.holder_code not in text  # a public page never shows the full ID number
    assert licence.holder_code[:4] + "*" * 10 + licence.holder_code[-4:] in text
    use = LicenceUse.objects.get(licence=licence)
    assert (use.kind, use.used_by, use.purpose, use.user) == (
        UseKind.VERIFY,
        services.PUBLIC_VERIFIER,
        "扫码/输入标识核验",
        None,
    )


def test_identifier_alone_verifies_and_a_staff_verifier_is_logged_as_their_department(client, make_licence):
    licence = make_licence()
    staff = UserFactory()
    client.force_login(staff)
    response = client.get(VERIFY, {"i": licence.identifier})
    assert response.status_code == 200 and "有效" in _page_text(response)
    use = LicenceUse.objects.get(licence=licence)
    assert use.used_by == staff.department.name and use.user == staff


def test_posting_the_identifier_the_qr_text_or_the_pdf(client, make_licence):
    licence = make_licence()
    for data in ({"identifier": licence.identifier}, {"qr": services.qr_text(licence)}):
        response = client.post(VERIFY, data)
        assert response.status_code == 200, data
        assert "有效" in _page_text(response)
    upload = SimpleUploadedFile("licence.pdf", render_pdf(licence), content_type="application/pdf")
    response = client.post(VERIFY, {"file": upload})
    assert response.status_code == 200 and "有效" in _page_text(response)
    assert LicenceUse.objects.filter(licence=licence, kind=UseKind.VERIFY).count() == 3


def test_revoked_superseded_and_expired_are_shown_as_such(client, make_licence, officer, time_machine):
    revoked = make_licence()
    services.end(licence=revoked, by=officer, state="revoked", reason="以欺骗手段取得")
    response = client.get(f"{VERIFY}?{_query(revoked)}")
    assert (
        response.status_code == 200
        and "已吊销" in _page_text(response)
        and "以欺骗手段取得" in _page_text(response)
    )

    old = make_licence()
    new = services.change(licence=old, by=officer, surface={"address": "示范市新路2号"}, reason="住址变更")
    text = _page_text(client.get(VERIFY, {"i": old.identifier}))
    assert f"已变更（现行版本为{new.identifier}）" in text

    short = make_licence(valid_until=dt.date(2026, 6, 30))
    time_machine.move_to("2026-07-02 10:00:00+08:00")
    assert "已过期" in _page_text(client.get(VERIFY, {"i": short.identifier}))


def test_a_forged_qr_signature_is_invalid_in_red(client, make_licence):
    licence = make_licence()
    query = parse_qs(_query(licence))
    signature = bytearray(base64.urlsafe_b64decode(query["s"][0] + "=="))
    signature[-3] ^= 1
    forged = urlencode(
        {"i": licence.identifier, "k": query["k"][0], "d": query["d"][0], "s": _b64(bytes(signature))}
    )
    response = client.get(f"{VERIFY}?{forged}")
    assert response.status_code == 422
    text = _page_text(response)
    assert "签名无效" in text and "有效 " not in text.replace("签名无效", "")
    assert "verdict red" in response.content.decode()


def test_bad_input_gets_a_chinese_message_and_the_right_status(client, make_licence):
    licence = make_licence()
    wrong_check = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    cases = [
        ({"identifier": wrong_check}, 400, "校验位错误"),
        ({"identifier": "hello"}, 400, "证照标识应以"),
        ({"qr": "https://example.org/"}, 400, "不是本平台电子证照的二维码"),
        ({}, 400, "三者选其一"),
        ({"identifier": licence.identifier, "qr": services.qr_text(licence)}, 400, "三者选其一"),
    ]
    for data, status, message in cases:
        response = client.post(VERIFY, data)
        assert response.status_code == status, data
        assert message in _page_text(response)


def test_unknown_identifier_is_404(client, make_licence, licence_type, issuer):
    from zhengwu.licences import identifiers

    unknown = str(
        identifiers.build(
            type_code=licence_type.code, issuer_code=issuer.uscc, serial="209900000001", version=1
        )
    )
    response = client.post(VERIFY, {"identifier": unknown})
    assert response.status_code == 404 and "未找到该证照标识" in _page_text(response)


def test_uploads_that_are_not_our_pdfs(client, db):
    cases = [
        (
            SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg"),
            400,
            "只能上传电子证照PDF文件",
        ),
        (
            SimpleUploadedFile("fake.pdf", b"hello", content_type="application/pdf"),
            422,
            "不是本平台出具的电子证照文件",
        ),
        (SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"), 400, "上传的文件是空的"),
        (
            SimpleUploadedFile(
                "big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), content_type="application/pdf"
            ),
            400,
            "超过5MB",
        ),
    ]
    for upload, status, message in cases:
        response = client.post(VERIFY, {"file": upload})
        assert response.status_code == status, upload.name
        assert message in _page_text(response)


def test_failures_lock_the_address_out(client, db):
    for _ in range(VERIFY_FAILURES.limit):
        client.post(VERIFY, {"identifier": "nonsense"})
    response = client.post(VERIFY, {"identifier": "nonsense"})
    assert response.status_code == 429 and "核验失败次数过多" in _page_text(response)
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.post(VERIFY, {"identifier": "nonsense"}).status_code == 400


# ---------------------------------------------------------------------------------------------
# The published keys


def test_keys_publish_current_and_retired_seals_and_verify_offline(client, make_licence, issuer):
    old = make_licence()
    services.make_seal(department=issuer, by=None)  # rotation
    new = make_licence()
    for url in ("/licences/keys/", "/api/licences/keys/"):
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert (body["algorithm"], body["hash"], body["user_id"]) == ("SM2", "SM3", "1234567812345678")
        assert "ZWZZ1|" in body["statement_format"]["statement"]
        keys = {k["key_id"]: k for k in body["keys"] if k["uscc"] == issuer.uscc}
        assert set(keys) == {old.seal.key_id, new.seal.key_id}
        assert keys[old.seal.key_id]["retired_at"] and keys[new.seal.key_id]["retired_at"] is None
        assert keys[old.seal.key_id]["department"] == issuer.name
        assert "BEGIN PUBLIC KEY" in keys[new.seal.key_id]["public_key"]

    # A third party: the QR text and the published key, nothing else from us.
    keys = {k["key_id"]: k["public_key"] for k in client.get("/licences/keys/").json()["keys"]}
    for licence in (old, new):
        query = {k: v[0] for k, v in parse_qs(_query(licence)).items()}
        digest = base64.urlsafe_b64decode(query["d"] + "==").hex()
        signature = base64.urlsafe_b64decode(query["s"] + "==")
        key = crypto.load_public_key(keys[query["k"]].encode())
        assert crypto.verify(key, b"ZWZZ1|" + query["i"].encode() + b"|" + digest.encode(), signature)
        assert not crypto.verify(key, b"ZWZZ1|" + query["i"].encode() + b"|" + b"0" * 64, signature)


# ---------------------------------------------------------------------------------------------
# The API


def _post(client, data, **kwargs):
    return client.post(API, json.dumps(data), content_type="application/json", **kwargs)


def test_api_verifies_by_identifier_qr_and_file(client, make_licence):
    licence = make_licence()
    for response in (
        _post(client, {"identifier": licence.identifier}),
        _post(client, {"qr": services.qr_text(licence)}),
        client.post(
            API, {"file": SimpleUploadedFile("l.pdf", render_pdf(licence), content_type="application/pdf")}
        ),
    ):
        assert response.status_code == 200
        body = response.json()
        assert (body["outcome"], body["label"], body["ok"]) == ("valid", "有效", True)
        assert any(c["name"] == "SM2签名" and c["ok"] for c in body["checks"])
        assert body["licence"]["holder_name"] == "李*"
        assert licence.holder_code not in json.dumps(body, ensure_ascii=False)
    assert (
        LicenceUse.objects.filter(
            licence=licence, kind=UseKind.VERIFY, used_by=services.PUBLIC_VERIFIER
        ).count()
        == 3
    )


def test_api_statuses(client, make_licence, licence_type, issuer, officer):
    from zhengwu.licences import identifiers

    licence = make_licence()
    services.end(licence=licence, by=officer, state="cancelled", reason="持证人申请注销")
    body = _post(client, {"identifier": licence.identifier}).json()
    assert (body["outcome"], body["label"]) == ("cancelled", "已注销")

    query = parse_qs(urlsplit(services.qr_text(licence)).query)
    digest = bytearray(base64.urlsafe_b64decode(query["d"][0] + "="))
    digest[0] ^= 1
    tampered = services.qr_text(licence).replace(query["d"][0], _b64(bytes(digest)))
    response = _post(client, {"qr": tampered})
    assert response.status_code == 422
    body = response.json()
    assert body["outcome"] == "invalid_signature" and body["label"] == "签名无效"
    assert any(c["name"] == "SM2签名" and not c["ok"] for c in body["checks"])

    assert _post(client, {"identifier": "1.2.3"}).status_code == 400
    assert "三者选其一" in _post(client, {}).json()["detail"]
    unknown = str(
        identifiers.build(
            type_code=licence_type.code, issuer_code=issuer.uscc, serial="209900000001", version=1
        )
    )
    response = _post(client, {"identifier": unknown})
    assert response.status_code == 404 and "未找到" in response.json()["detail"]
    response = client.post(
        API, {"file": SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")}
    )
    assert response.status_code == 422 and "不是本平台出具的电子证照文件" in response.json()["detail"]


def test_api_tampered_pdf_is_never_valid(client, make_licence):
    licence = make_licence()
    data = render_pdf(licence)
    start = data.index(b"/ZWZZData (") + len(b"/ZWZZData (")
    tampered = (
        data[: start + 40] + (b"A" if data[start + 40 : start + 41] != b"A" else b"B") + data[start + 41 :]
    )
    response = client.post(
        API, {"file": SimpleUploadedFile("l.pdf", tampered, content_type="application/pdf")}
    )
    assert response.status_code == 422
    assert response.json().get("outcome") != "valid"
