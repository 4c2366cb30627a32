"""催办 of 差评整改 cases: the periodic job urges a case once when its 回访核实 light turns red (and
not again), never a closed or rectified one; a supervisor urges from the case page with a note, the
department sees it there; others may not urge, a closed case needs no urging."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from zhengwu.ratings import services, urging
from zhengwu.ratings.models import RectificationUrge

from .test_staff import bad, finished, login, office, staff, supervisor  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_job_urges_a_red_case_once_and_leaves_closed_ones(bad, office, time_machine):  # noqa: F811
    case = bad.rectification
    assert urging.urge_due() == 0  # green: a working day to go
    time_machine.move_to(case.verify_due_at + dt.timedelta(hours=1))
    assert urging.urge_due() == 1
    assert urging.urge_due() == 0  # once per light and limit
    urge = RectificationUrge.objects.get()
    assert (urge.threshold, urge.by, urge.label) == ("verify-red", None, "回访核实已超期")
    case = services.verify(case=case, by=office.approver, reached=True, facts="属实")
    case = services.resolve(case=case, by=office.approver, outcome="immediate", evidence="已整改")
    services.close(case=case, by=office.approver, feedback="已整改")
    time_machine.move_to(case.verify_due_at + dt.timedelta(days=30))
    assert urging.urge_due() == 0


def test_a_supervisor_urges_from_the_case_page_and_the_department_sees_it(
    bad,  # noqa: F811
    staff,  # noqa: F811
    supervisor,  # noqa: F811
):
    case = bad.rectification
    url = reverse("ratings:urge", args=[case.pk])
    boss = login(supervisor)
    empty = boss.post(url, {"note": "  "})
    assert empty.status_code == 400 and "请填写催办说明" in empty.content.decode()
    done = boss.post(url, {"note": "请今天内联系评价人"})
    assert done.status_code == 302
    page = staff.get(reverse("ratings:case", args=[case.pk])).content.decode()
    section = page.split('id="urges"')[1].split("</section>")[0]
    assert "请今天内联系评价人" in section and supervisor.display_name in section
    assert 'action="' + url not in page  # the department's own staff may not urge
    assert staff.post(url, {"note": "自己催自己"}).status_code == 403
    assert RectificationUrge.objects.count() == 1


def test_a_closed_case_needs_no_urging(bad, office, supervisor):  # noqa: F811
    case = services.verify(case=bad.rectification, by=office.approver, reached=True, facts="属实")
    case = services.resolve(case=case, by=office.approver, outcome="explained", evidence="已解释")
    services.close(case=case, by=office.approver, feedback="已说明")
    response = login(supervisor).post(reverse("ratings:urge", args=[case.pk]), {"note": "催"})
    assert response.status_code == 409 and "无需催办" in response.content.decode()
    assert not RectificationUrge.objects.exists()


def test_the_api_urges_and_shows_the_urges(bad, staff, supervisor):  # noqa: F811
    case = bad.rectification
    url = f"/api/rectifications/{case.pk}/urge/"
    boss = login(supervisor)
    assert boss.post(url, {}, content_type="application/json").status_code == 400
    done = boss.post(url, {"note": "请尽快回访"}, content_type="application/json")
    assert done.status_code == 200, done.json()
    assert [(u["kind"], u["note"]) for u in done.json()["urges"]] == [("督办员催办", "请尽快回访")]
    refused = staff.post(url, {"note": "x"}, content_type="application/json")
    assert refused.status_code == 403 and "督办员" in refused.json()["detail"]
    seen = staff.get(f"/api/rectifications/{case.pk}/").json()
    assert [u["note"] for u in seen["urges"]] == ["请尽快回访"]


def test_a_supervisor_sees_and_urges_but_the_unit_itself_handles_the_case(bad, supervisor):  # noqa: F811
    case = bad.rectification
    boss = login(supervisor)
    page = boss.get(reverse("ratings:case", args=[case.pk])).content.decode()
    assert 'id="urges"' in page and 'id="step"' not in page
    assert reverse("ratings:contest", args=[bad.pk]) not in page
    refused = boss.post(
        reverse("ratings:step", args=[case.pk, "verify"]), {"reached": "yes", "facts": "代办"}
    )
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.verified_at is None
