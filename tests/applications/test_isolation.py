"""A department sees only its own work (DESIGN §10): an approver meets another department's
application on no page, download or export; the window does not read the back office's opinions;
citizens' accounts never open a staff page; leaders see everything and may change nothing."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.catalog.factories import ItemMaterialFactory, MaterialFactory, ServiceItemFactory
from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialStatus
from zhengwu.catalog.models import OnlineDepth

from .conftest import online, pdf, walk_in

pytestmark = pytest.mark.django_db


def fresh(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)


def numbers(html: str) -> set[str]:
    return set(re.findall(r'<tr data-number="([^"]+)"', html))


@pytest.fixture
def theirs(office) -> Application:
    """An online application to the other department (人社局), accepted: a file and a notice."""
    item = ServiceItemFactory(
        name="就业失业登记",
        department=office.other_department,
        promised_limit_days=Decimal(5),
        legal_limit_days=Decimal(10),
        online_depth=OnlineDepth.FULLY_ONLINE,
        form_fields=[],
    )
    use = ItemMaterialFactory(item=item, material=MaterialFactory(name="登记表"), order=1)
    app = services.apply_online(
        item=item,
        by=office.citizen_user,
        applicant=office.citizen,
        contact_name=office.citizen.name,
        contact_phone=office.citizen.phone,
        form_data={},
        uploads={use.pk: [pdf("登记表.pdf")]},
    ).application
    services.accept(application=app, by=office.clerk)
    return fresh(app)


@pytest.fixture
def ours(office) -> Application:
    return walk_in(office).application


def file_url(app: Application) -> str:
    f = app.materials.filter(status=MaterialStatus.RECEIVED).first().files.first()
    return reverse("applications:file", args=[app.number, f.pk])


def notice_url(app: Application) -> str:
    return reverse("applications:notice", args=[app.number, app.notices.first().number])


# ---------------------------------------------------------------------------------------------
# An approver and another department
# ---------------------------------------------------------------------------------------------


def test_an_approver_lists_only_their_department(office, client, ours, theirs):
    client.force_login(office.approver)
    assert numbers(client.get(reverse("applications:list")).content.decode()) == {ours.number}
    assert numbers(client.get(reverse("applications:review_queue")).content.decode()) == {ours.number}
    # searching for the other department's number finds nothing either
    found = client.get(reverse("applications:list"), {"q": theirs.number}).content.decode()
    assert numbers(found) == set() and "就业失业登记" not in found
    client.force_login(office.other_approver)
    assert numbers(client.get(reverse("applications:list")).content.decode()) == {theirs.number}


def test_an_approver_gets_404_for_another_departments_page_downloads_and_actions(
    office, client, ours, theirs
):
    client.force_login(office.approver)
    assert client.get(reverse("applications:detail", args=[theirs.number])).status_code == 404
    assert client.get(file_url(theirs)).status_code == 404
    assert client.get(notice_url(theirs)).status_code == 404
    response = client.post(
        reverse("applications:act", args=[theirs.number, "review"]), {"version": theirs.version}
    )
    assert response.status_code == 404
    assert fresh(theirs).state == "accepted"
    # their own: the page and the notice open
    assert client.get(reverse("applications:detail", args=[ours.number])).status_code == 200
    own_notice = client.get(notice_url(ours))
    assert own_notice.status_code == 200 and own_notice["Content-Type"] == "application/pdf"


def test_an_approver_exports_only_their_department(office, client, ours, theirs):
    client.force_login(office.approver)
    response = client.get(reverse("applications:export"))
    wb = load_workbook(BytesIO(b"".join(response.streaming_content)))
    listed = {r[0] for r in wb["办件"].iter_rows(min_row=2, values_only=True)}
    steps = {r[0] for r in wb["办理环节"].iter_rows(min_row=2, values_only=True)}
    assert listed == {ours.number} and steps == {ours.number}
    data = json.loads(client.get(reverse("applications:export_json")).content)
    assert [i["办件编号"] for i in data["办件"]] == [ours.number]
    # a department filter naming another department does not widen the scope
    data = json.loads(
        client.get(reverse("applications:export_json"), {"department": office.other_department.pk}).content
    )
    assert data["办件"] == []


# ---------------------------------------------------------------------------------------------
# The window and the back office's opinions
# ---------------------------------------------------------------------------------------------


def test_a_clerk_does_not_read_back_office_opinions(office, client, ours):
    services.review(application=ours, by=office.approver, note="审查意见：场所面积存疑")
    services.request_extension(application=fresh(ours), by=office.approver, days="3", reason="内部延长理由")
    services.decide(application=fresh(ours), by=office.approver, approved=True, opinion="决定意见：准予")
    secrets = ("场所面积存疑", "内部延长理由", "决定意见：准予")
    client.force_login(office.clerk)
    html = client.get(reverse("applications:detail", args=[ours.number])).content.decode()
    assert not any(s in html for s in secrets)
    assert 'data-event="request_extension"' not in html  # an internal step is not shown at all
    assert 'data-event="decide"' in html and "准予许可" in html  # the decision itself is public
    client.force_login(office.delivery)  # sees it once it reaches 出件? not yet: 404
    assert client.get(reverse("applications:detail", args=[ours.number])).status_code == 404
    client.force_login(office.approver)
    html = client.get(reverse("applications:detail", args=[ours.number])).content.decode()
    assert all(s in html for s in secrets)


def test_another_departments_approver_never_reads_the_opinions(office, client, ours):
    services.review(application=ours, by=office.approver, note="审查意见：仅本局")
    client.force_login(office.other_approver)
    assert client.get(reverse("applications:detail", args=[ours.number])).status_code == 404
    body = b"".join(client.get(reverse("applications:export")).streaming_content)
    assert "仅本局".encode() not in body


# ---------------------------------------------------------------------------------------------
# Citizens, anonymous visitors and leaders
# ---------------------------------------------------------------------------------------------


def staff_urls(app: Application) -> list[str]:
    return [
        reverse("applications:window_queue"),
        reverse("applications:review_queue"),
        reverse("applications:delivery_queue"),
        reverse("applications:list"),
        reverse("applications:export"),
        reverse("applications:export_json"),
        reverse("applications:detail", args=[app.number]),
        file_url(app),
        notice_url(app),
    ]


def test_a_citizen_account_cannot_open_staff_pages_even_for_their_own(office, client):
    app = online(office).application
    services.accept(application=app, by=office.clerk)
    client.force_login(office.citizen_user)
    for url in staff_urls(fresh(app)):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("applications:act", args=[app.number, "withdraw"]),
        {"version": fresh(app).version, "reason": "x"},
    )
    assert response.status_code == 403
    client.logout()
    for url in staff_urls(fresh(app)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


def test_a_leader_sees_everything_and_may_change_nothing(office, client, ours, theirs):
    services.review(application=ours, by=office.approver, note="审查意见：领导可见")
    client.force_login(office.leader)
    assert numbers(client.get(reverse("applications:list")).content.decode()) == {ours.number, theirs.number}
    for app in (ours, theirs):
        html = client.get(reverse("applications:detail", args=[app.number])).content.decode()
        assert "data-action=" not in html and 'id="no-actions"' in html
    assert (
        "审查意见：领导可见"
        in client.get(reverse("applications:detail", args=[ours.number])).content.decode()
    )
    response = client.post(
        reverse("applications:act", args=[ours.number, "decide"]),
        {"version": fresh(ours).version, "approved": "yes", "opinion": "领导拍板"},
    )
    assert response.status_code == 403
    assert fresh(ours).state == "reviewing"
    for name in ("window_queue", "review_queue", "delivery_queue"):
        assert client.get(reverse(f"applications:{name}")).status_code == 403
