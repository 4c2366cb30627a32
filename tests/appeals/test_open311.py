"""Open311 GeoReport v2 at /open311/v2/: discovery, services and their definitions, filing with an
api_key, reading requests by id and by filters — in JSON and in XML — errors in the spec's own
format, no contact details ever, and the PyPI client ``georeport`` as an outside client."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
import requests
from django.test import Client
from django.utils import timezone
from georeport import GeoReport

from zhengwu.appeals import services
from zhengwu.appeals.models import ApiClient, Appeal, Category
from zhengwu.appeals.services import hash_api_key

KEY = "open311-client-key-0001"
ROOT = "/open311/v2"
FILING = {
    "api_key": KEY,
    "service_code": "CSJS",
    "description": "幸福路3号路灯不亮已一周\n晚上行人看不清路。",
    "address_string": "东城区幸福路3号",
    "first_name": "先生",
    "last_name": "王",
    "phone": "13900000077",
    "email": "wang@example.com",
    "media_url": "https://example.com/lamp.jpg",
}
SECRETS = ("13900000077", "wang@example.com", "王先生", "看不清路")


def parse(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def as_dicts(root: ET.Element) -> list[dict[str, str | None]]:
    return [{child.tag: child.text for child in item} for item in root]


@pytest.fixture
def published(db):
    """Four services: two plain, two named 其他 under different parents; one more switched off."""
    codes = {
        ("城乡建设", "城市建设和市政管理"): "CSJS",
        ("环境保护", "环境污染"): "HJWR",
        ("环境保护", "其他"): "HB-QT",
        ("交通运输", "其他"): "JT-QT",
    }
    for (parent, name), code in {**codes, ("交通运输", "邮政管理"): "YZ"}.items():
        # get_or_create: a transactional test may run after another one emptied the seeded tree
        top, _ = Category.objects.get_or_create(name=parent, parent=None)
        Category.objects.update_or_create(
            name=name,
            parent=top,
            defaults={"service_code": code, "is_active": code != "YZ", "open311_published": True},
        )
    return codes


@pytest.fixture
def client_key(db) -> ApiClient:
    return ApiClient.objects.create(name="随手拍", key_hash=hash_api_key(KEY), channel="mobile")


@pytest.fixture
def web() -> Client:
    return Client()


def file(web: Client, fmt: str = "json", headers: dict[str, str] | None = None, **changes):
    return web.post(f"{ROOT}/requests.{fmt}", {**FILING, **changes}, headers=headers)


class TestDiscoveryAndServices:
    def test_discovery(self, web):
        body = web.get(f"{ROOT}/discovery.json").json()
        (endpoint,) = body["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2/"
        assert set(endpoint["formats"]) == {"application/json", "text/xml"}
        root = parse(web.get(f"{ROOT}/discovery.xml"))
        assert root.tag == "discovery"
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]

    def test_services_in_json_and_xml(self, web, published):
        listed = web.get(f"{ROOT}/services.json")
        assert listed["Content-Type"] == "application/json; charset=utf-8"
        services_ = listed.json()
        assert {s["service_code"] for s in services_} == set(published.values())  # YZ is switched off
        lamp = next(s for s in services_ if s["service_code"] == "CSJS")
        assert lamp == {
            "service_code": "CSJS",
            "service_name": "城市建设和市政管理",
            "description": "城乡建设 / 城市建设和市政管理",
            "metadata": False,
            "type": "realtime",
            "keywords": lamp["keywords"],
            "group": "城乡建设",
        }
        # The category's two names, then the seeded keywords (the third level of the classification).
        assert lamp["keywords"].startswith("城乡建设,城市建设和市政管理,") and "城管执法" in lamp["keywords"]
        root = parse(web.get(f"{ROOT}/services.xml"))
        assert root.tag == "services" and {e.tag for e in root} == {"service"}
        from_xml = {s["service_code"]: s for s in as_dicts(root)}
        assert from_xml["CSJS"]["metadata"] == "false" and from_xml["CSJS"]["group"] == "城乡建设"
        assert set(from_xml) == set(published.values())

    def test_a_service_definition(self, web, published):
        assert web.get(f"{ROOT}/services/HJWR.json").json() == {"service_code": "HJWR", "attributes": []}
        root = parse(web.get(f"{ROOT}/services/HB-QT.xml"))
        assert root.tag == "service_definition" and root.findtext("service_code") == "HB-QT"
        assert root.find("attributes") is not None and len(root.find("attributes")) == 0

    def test_an_unknown_service_is_404_in_the_spec_format(self, web, published):
        r = web.get(f"{ROOT}/services/NOPE.json")
        assert r.status_code == 404 and r.json() == [
            {"code": 404, "description": "没有服务代码为 NOPE 的服务"}
        ]
        r = web.get(f"{ROOT}/services/YZ.xml")  # switched off
        root = parse(r)
        assert r.status_code == 404 and root.tag == "errors"
        assert root.findtext("error/code") == "404" and "YZ" in root.findtext("error/description")


class TestFiling:
    def test_a_request_with_a_valid_key_files_an_appeal(self, web, published, client_key):
        r = file(web)
        assert r.status_code == 201, r.content.decode()
        (answer,) = r.json()
        appeal = Appeal.objects.get()
        assert answer["service_request_id"] == appeal.number and answer["account_id"] is None
        assert appeal.number in answer["service_notice"] and "查询码" in answer["service_notice"]
        assert (appeal.channel, appeal.appeal_type, appeal.state) == ("mobile", "help", "registered")
        assert appeal.title == "幸福路3号路灯不亮已一周"
        assert appeal.category.service_code == "CSJS"  # the service asked for, a start for 研判
        assert appeal.contact_name == "王先生" and appeal.contact_phone == "13900000077"
        assert appeal.address == "东城区幸福路3号"
        assert "wang@example.com" in appeal.body and "https://example.com/lamp.jpg" in appeal.body

    def test_a_request_in_xml(self, web, published, client_key):
        r = file(web, "xml", address_string="", lat="34.66", long="112.43")
        assert r.status_code == 201
        root = parse(r)
        assert root.tag == "service_requests"
        (item,) = as_dicts(root)
        appeal = Appeal.objects.get()
        assert item["service_request_id"] == appeal.number and item["account_id"] is None
        assert appeal.address == "经纬度 34.66,112.43"

    def test_a_retry_with_the_same_key_files_once(self, web, published, client_key):
        first = file(web, headers={"Idempotency-Key": "photo-9"})
        again = file(web, headers={"Idempotency-Key": "photo-9"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
        assert "查询码" not in again.json()[0]["service_notice"]
        assert Appeal.objects.count() == 1

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_without_an_api_key_is_403(self, web, published, client_key, fmt):
        r = file(web, fmt, api_key="")
        assert r.status_code == 403
        if fmt == "json":
            assert r.json() == [{"code": 403, "description": "缺少 api_key，无法提交诉求"}]
        else:
            root = parse(r)
            assert root.tag == "errors" and root.findtext("error/code") == "403"
            assert root.findtext("error/description") == "缺少 api_key，无法提交诉求"
        assert not Appeal.objects.exists()

    def test_a_wrong_or_disabled_key_is_403(self, web, published, client_key):
        assert file(web, api_key="guess").json() == [{"code": 403, "description": "api_key 无效或已停用"}]
        client_key.is_active = False
        client_key.save()
        assert file(web).status_code == 403
        assert not Appeal.objects.exists()

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_bad_service_code_is_400(self, web, published, client_key, fmt):
        r = file(web, fmt, service_code="POTHOLE")
        assert r.status_code == 400
        description = "service_code 不存在：POTHOLE"
        if fmt == "json":
            assert r.json() == [{"code": 400, "description": description}]
        else:
            assert parse(r).findtext("error/description") == description
        assert file(web, service_code="YZ").status_code == 400  # switched off
        assert not Appeal.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"address_string": ""}, "请提供位置"),
            ({"address_string": "", "lat": "34.6"}, "lat 与 long 须同时提供"),
            ({"lat": "north", "long": "112"}, "lat 须为有效的经纬度数值"),
            ({"lat": "91", "long": "112"}, "lat 须为有效的经纬度数值"),
            ({"description": " "}, "description：请填写诉求内容"),
            ({"description": "字" * 5001}, "description：诉求内容不能超过5000个字"),
            ({"phone": "110abc"}, "phone：联系电话格式不正确"),
            ({"phone": ""}, "phone：请填写联系电话"),
            ({"email": "not-mail"}, "email 格式不正确"),
            ({"last_name": "名" * 51}, "first_name/last_name：联系人不能超过50个字"),
        ],
    )
    def test_bad_input_is_400_and_saves_nothing(self, web, published, client_key, changes, message):
        r = file(web, **changes)
        assert r.status_code == 400
        (err,) = r.json()
        assert err["code"] == 400 and err["description"].startswith(message)
        assert not Appeal.objects.exists()

    def test_other_methods_are_refused_in_the_spec_format(self, web, published):
        r = web.post(f"{ROOT}/services.json")
        assert r.status_code == 405 and r.json()[0]["code"] == 405 and r["Allow"] == "GET"
        r = web.delete(f"{ROOT}/requests.xml")
        assert r.status_code == 405 and parse(r).findtext("error/code") == "405"


class TestReading:
    @pytest.fixture
    def filed(self, desk, web, published, client_key):
        """One filed here and handled to the reply; one filed here and left; one by phone."""
        handled = Appeal.objects.get(number=file(web).json()[0]["service_request_id"])
        services.triage(appeal=handled, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
        services.dispatch(appeal=handled, lead=desk.lead_dept, by=desk.dispatcher)
        services.sign(assignment=desk.lead(handled), by=desk.lead_handler)
        services.submit_reply(appeal=handled, text="已更换路灯灯泡。", by=desk.lead_handler)
        waiting = Appeal.objects.get(
            number=file(web, service_code="HB-QT", description="河道有异味", phone="13900000078").json()[0][
                "service_request_id"
            ]
        )
        by_phone = desk.register(title="噪音扰民")
        return {"handled": handled, "waiting": waiting, "by_phone": by_phone}

    def test_a_request_by_id_in_json_and_xml(self, web, filed, desk):
        handled = filed["handled"]
        (item,) = web.get(f"{ROOT}/requests/{handled.number}.json").json()
        assert item["service_request_id"] == handled.number
        assert item["status"] == "open" and item["status_notes"] == "答复待审核"  # not sent yet
        assert item["service_code"] == "CSJS" and item["service_name"] == "城市建设和市政管理"
        assert item["agency_responsible"] == desk.lead_dept.name
        assert item["address"] == "东城区幸福路3号"
        handled.refresh_from_db()
        assert item["expected_datetime"] == timezone.localtime(handled.due_at).isoformat(timespec="seconds")
        assert item["requested_datetime"].endswith("+08:00")

        services.approve_reply(appeal=handled, by=desk.dispatcher)
        services.record_callback(
            appeal=handled, reached=True, solved="solved", satisfaction=1, by=desk.callback
        )
        root = parse(web.get(f"{ROOT}/requests/{handled.number}.xml"))
        assert root.tag == "service_requests"
        (item,) = as_dicts(root)
        assert item["status"] == "closed" and item["status_notes"] == "已更换路灯灯泡。"
        assert item["lat"] is None and item["expected_datetime"]

    def test_an_unknown_request_is_404(self, web, filed):
        r = web.get(f"{ROOT}/requests/ZW-20000101-000001.json")
        assert r.status_code == 404 and r.json()[0]["code"] == 404

    def test_filters(self, web, filed):
        def ids(fmt: str = "json", **params) -> set[str]:
            r = web.get(f"{ROOT}/requests.{fmt}", params)
            assert r.status_code == 200, r.content.decode()
            if fmt == "xml":
                return {i["service_request_id"] for i in as_dicts(parse(r))}
            return {i["service_request_id"] for i in r.json()}

        handled, waiting, by_phone = (filed[k].number for k in ("handled", "waiting", "by_phone"))
        assert ids() == ids("xml") == {handled, waiting, by_phone}
        assert ids(service_code="CSJS") == {handled}  # triaged into the CSJS category
        assert ids(service_code="HB-QT") == {waiting}  # not triaged yet: read from the title
        assert ids(service_code="CSJS,HB-QT") == {handled, waiting}
        assert ids(service_code="NOPE") == set()
        assert ids(service_request_id=f"{waiting},{by_phone}", status="closed") == {waiting, by_phone}
        assert ids(status="closed") == set()
        assert ids(status="open,closed") == {handled, waiting, by_phone}
        now = timezone.now()
        assert ids(start_date=(now + timedelta(hours=1)).isoformat()) == set()
        assert ids(start_date=(now - timedelta(days=1)).isoformat(), end_date=now.isoformat()) == {
            handled,
            waiting,
            by_phone,
        }
        Appeal.objects.filter(number=by_phone).update(created_at=now - timedelta(days=120))
        assert by_phone not in ids()  # the default window is the last 90 days

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"status": "pending"}, "status 只能是 open 或 closed"),
            ({"start_date": "yesterday"}, "start_date 须为 W3C 日期时间格式"),
            ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "跨度不能超过90天"),
        ],
    )
    def test_bad_filters_are_400(self, web, filed, params, message):
        r = web.get(f"{ROOT}/requests.json", params)
        assert r.status_code == 400 and message in r.json()[0]["description"]

    def test_contact_details_never_appear(self, web, filed):
        for url in (
            f"{ROOT}/requests.json",
            f"{ROOT}/requests.xml",
            f"{ROOT}/requests/{filed['handled'].number}.json",
            f"{ROOT}/requests/{filed['handled'].number}.xml",
        ):
            text = web.get(url).content.decode()
            assert filed["handled"].number in text
            for secret in (*SECRETS, "13800000001", "张先生"):
                assert secret not in text, (url, secret)

    def test_confidential_appeals_and_reports_are_not_published(self, web, filed, desk):
        report = desk.register(appeal_type="report", title="举报违建")
        secret = desk.register(title="请为我保密", confidential=True)
        listed = {i["service_request_id"] for i in web.get(f"{ROOT}/requests.json").json()}
        assert report.number not in listed and secret.number not in listed
        for appeal in (report, secret):
            assert web.get(f"{ROOT}/requests/{appeal.number}.json").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_georeport_client_reads_what_a_plain_form_post_filed(live_server, published, client_key):
    """``georeport`` 0.3.1 reads (services, definitions, requests) but cannot file, so filing is a
    plain form POST shaped as the spec says, sent over HTTP like any outside client would."""
    base = f"{live_server.url}{ROOT}"
    posted = requests.post(f"{base}/requests.json", data=FILING, timeout=10)
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]
    posted_xml = requests.post(
        f"{base}/requests.xml", data={**FILING, "service_code": "HJWR", "description": "河水发黑"}, timeout=10
    )
    assert posted_xml.status_code == 201 and b"<service_request_id>" in posted_xml.content

    for fmt in ("json", "xml"):
        client = GeoReport(base, output_format=fmt)
        listed = client.get_service_list()
        assert {s["service_code"] for s in listed} == set(published.values())
        assert client.get_service_definition("CSJS")["service_code"] == "CSJS"
        found = client.get_service_requests(service_code="CSJS", status="open")
        found = found if isinstance(found, list) else [found]  # xmltodict: one item is not a list
        assert [r["service_request_id"] for r in found] == [number]
        one = client.get_service_request(number)
        assert one["status"] == "open" and one["service_name"] == "城市建设和市政管理"
        assert "13900000077" not in json.dumps(one, ensure_ascii=False)

    with pytest.raises(requests.HTTPError) as info:
        GeoReport(base).get_service_definition("NOPE")
    assert info.value.response.status_code == 404
    assert info.value.response.json()[0]["description"] == "没有服务代码为 NOPE 的服务"


class TestSeededServiceCodes:
    """Migration 0009: every seeded category has a stable code and keywords; publishing stays the
    administrator's switch."""

    def test_every_seeded_category_has_a_stable_unique_code_and_none_is_published(self, db):
        seeded = Category.objects.filter(parent__isnull=False, parent__parent__isnull=True)
        codes = list(seeded.values_list("service_code", flat=True))
        assert len(codes) == 50 and None not in codes and len(set(codes)) == len(codes)
        lamp = Category.objects.get(parent__name="城乡建设", name="城市建设和市政管理")
        assert (lamp.service_code, lamp.open311_published) == ("CXJS-02", False)
        assert "城管执法" in lamp.keywords.split(",")
        assert Category.objects.get(parent__name="卫生计生", name="其他").service_code == "WSJS-99"
        assert Client().get(f"{ROOT}/services.json").json() == []

    def test_the_administrator_chooses_what_is_published(self, web, client_key):
        lamp = Category.objects.get(parent__name="城乡建设", name="城市建设和市政管理")
        Category.objects.filter(pk=lamp.pk).update(open311_published=True)
        assert [s["service_code"] for s in web.get(f"{ROOT}/services.json").json()] == ["CXJS-02"]
        assert file(web, service_code="CXJS-02").status_code == 201
        Category.objects.filter(pk=lamp.pk).update(open311_published=False)
        assert web.get(f"{ROOT}/services.json").json() == []
        refused = file(web, service_code="CXJS-02")
        assert refused.status_code == 400
        assert refused.json()[0]["description"] == "service_code 不存在：CXJS-02"

    def test_the_admin_list_shows_and_edits_the_switch(self, client, admin_user):
        client.force_login(admin_user)
        html = client.get("/admin/appeals/category/?q=CXJS-02").content.decode()
        assert "CXJS-02" in html and 'name="form-0-open311_published"' in html


@pytest.mark.django_db(transaction=True)
def test_the_demo_city_serves_the_georeport_client_in_json_and_xml(live_server, demo_city):
    """The desk walk found `/open311/v2/services.json` empty on the demo city. Now an outside
    client lists its services and files with them, in both formats. ``georeport`` 0.3.1 has no
    filing call, so the request is the spec's form POST to the client's own address, format and
    api_key; reading it back is the client's again."""
    ApiClient.objects.create(name="随手拍", key_hash=hash_api_key(KEY), channel="mobile")
    published = Category.objects.filter(open311_published=True, is_active=True).count()
    assert published == 50
    base = f"{live_server.url}{ROOT}"
    for fmt in ("json", "xml"):
        client = GeoReport(base, api_key=KEY, output_format=fmt)
        listed = client.get_service_list()
        assert len(listed) == published
        lamp = next(s for s in listed if s["service_code"] == "CXJS-02")
        assert (lamp["service_name"], lamp["group"]) == ("城市建设和市政管理", "城乡建设")
        assert "城管执法" in lamp["keywords"].split(",")
        assert {s["group"] for s in listed} == {
            "城乡建设",
            "环境保护",
            "交通运输",
            "教育文体",
            "劳动和社会保障",
            "商贸旅游",
            "卫生计生",
        }
        assert client.get_service_definition("HJBH-02")["service_code"] == "HJBH-02"

        posted = requests.post(
            f"{client.root_address}/requests.{client.output_format}",
            data={
                "api_key": client.api_key,
                "service_code": "HJBH-02",
                "description": f"滨河路工地夜间施工噪音扰民（{fmt}）\n每天打桩到凌晨。",
                "address_string": "西湖区滨河路",
                "phone": "13900000088",
            },
            timeout=10,
        )
        assert posted.status_code == 201, posted.text
        if fmt == "json":
            number = posted.json()[0]["service_request_id"]
        else:
            number = ET.fromstring(posted.content).findtext("request/service_request_id")  # noqa: S314
        one = client.get_service_request(number)
        one = one[0] if isinstance(one, list) else one
        assert (one["service_request_id"], one["service_code"], one["status"]) == (number, "HJBH-02", "open")
        appeal = Appeal.objects.get(number=number)
        assert appeal.category.service_code == "HJBH-02" and appeal.channel == "mobile"
