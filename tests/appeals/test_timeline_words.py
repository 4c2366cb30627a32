"""The appeal page's 办理轨迹 speaks Chinese: every kind of event the services write is walked
through the real services and rendered, and no internal code (a threshold tag, an action code, a
version number) reaches the page."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, Assignment
from zhengwu.appeals.public_services import rate_appeal
from zhengwu.appeals.timeline import EVENT_KINDS
from zhengwu.appeals.workflow import ACTIONS
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.casework.actors import Actor

from .conftest import Desk, refresh

SYSTEM = Actor.system("定时催办")  # the periodic urging job
pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"[A-Z0-9]+-\d{8}-\d{6}")  # the 工单号 is what people quote, not a code to translate


class Timeline(HTMLParser):
    """The text of #timeline, row by row, and each row's event kind."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.rows: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "timeline") in attrs:
            self.depth = 1
        elif self.depth and tag == "table":
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append((dict(attrs).get("data-event") or "", []))

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "table":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.rows and data.strip():
            self.rows[-1][1].append(data.strip())


def timeline_of(html: str) -> list[tuple[str, str]]:
    parser = Timeline()
    parser.feed(html)
    return [(kind, " ".join(parts)) for kind, parts in parser.rows if kind]


def every_kind_of_event(desk: Desk) -> list[Appeal]:
    """Appeals whose histories hold, between them, every kind of event."""
    full = desk.reach(S.TRIAGED)
    services.dispatch(appeal=full, lead=desk.lead_dept, co_handlers=[desk.co_dept], by=desk.dispatcher)
    lead, co = desk.lead(full), desk.co(full)
    services.urge(assignment=lead, threshold="sign-yellow", by=SYSTEM)
    services.urge(assignment=lead, threshold="sign-red", by=SYSTEM)
    services.urge(assignment=lead, threshold="manual-1796399735", by=desk.supervisor)
    services.urge(assignment=co, threshold="manual-1796399800", by=desk.supervisor, note="请今天内联系诉求人")
    services.sign(assignment=co, by=desk.co_handler)
    services.submit_contribution(assignment=co, text="路面由我局配合封闭施工。", by=desk.co_handler)
    services.sign(assignment=lead, by=desk.lead_handler)
    services.urge(assignment=lead, threshold="handle-yellow", by=SYSTEM)
    ext = services.request_extension(
        assignment=lead,
        reason="需协调施工单位",
        until=timezone.now() + timedelta(days=30),
        by=desk.lead_handler,
    )
    services.decide_extension(extension=ext, approve=True, note="同意", by=desk.dispatcher)
    services.supervise(
        appeal=full, department=desk.lead_dept, note="请加快办理", days=Decimal(3), by=desk.supervisor
    )
    services.add_note(appeal=full, text="已安排施工队进场。", by=desk.lead_handler)
    services.submit_reply(appeal=full, text="已修复。", by=desk.lead_handler)
    services.rework_reply(appeal=full, note="请写明修复日期", by=desk.dispatcher)
    services.submit_reply(appeal=full, text="已于本周三修复完毕。", by=desk.lead_handler)
    services.approve_reply(appeal=full, by=desk.dispatcher)
    services.record_callback(
        appeal=full, reached=True, solved="solved", satisfaction=1, note="满意", by=desk.callback
    )
    rate_appeal(appeal=refresh(full), level=1, comment="谢谢")
    services.archive(appeal=full, by=desk.dispatcher)

    returned = desk.reach(S.TRIAGED)
    services.dispatch(appeal=returned, lead=desk.lead_dept, co_handlers=[desk.co_dept], by=desk.dispatcher)
    services.return_assignment(assignment=desk.co(returned), reason="不属于本局职责", by=desk.co_handler)
    services.return_assignment(assignment=desk.lead(returned), reason="不属于本局职责", by=desk.lead_handler)
    services.redispatch(assignment=desk.lead(returned), to=desk.other_dept, by=desk.dispatcher)
    again = returned.assignments.get(role="lead", department=desk.other_dept)
    services.return_assignment(assignment=again, reason="应由住建局办理", by=desk.other_handler)
    services.reject_return(assignment=again, note="属于供水管网，请办理", by=desk.dispatcher)
    Assignment.objects.filter(pk=again.pk).update(sign_due_at=F("sign_due_at") + timedelta(days=1))
    assert services.recompute_deadlines() >= 1

    answered = desk.register(appeal_type="consultation", title="社保卡补办要带什么")
    services.answer_directly(appeal=answered, answer="携带身份证到社保网点办理。", by=desk.operator)

    repeat = desk.register()
    services.merge(appeal=repeat, into=full, by=desk.operator)

    closed = desk.reach(S.REPLIED)
    services.record_callback(appeal=closed, reached=False, by=desk.callback)
    services.close(appeal=closed, note="多次联系不上诉求人", by=desk.callback)
    return [full, returned, answered, repeat, closed]


def test_every_event_kind_is_a_chinese_sentence_on_the_appeal_page(desk, client):
    assert set(ACTIONS) <= set(EVENT_KINDS)  # a new action needs its words here
    client.force_login(desk.dispatcher)
    rows: list[tuple[str, str]] = []
    for appeal in every_kind_of_event(desk):
        response = client.get(reverse("appeals:detail", args=[appeal.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        rows += timeline_of(html)
        # The version travels in the forms' hidden fields, never as text on the page.
        assert "版本" not in html
    assert {kind for kind, _ in rows} == set(EVENT_KINDS)  # every kind was walked
    coded = [(kind, text) for kind, text in rows if re.search(r"[A-Za-z]", NUMBER.sub("", text))]
    assert not coded, coded
    urges = [text for kind, text in rows if kind == "urge"]
    assert any("签收临期（黄灯），系统自动催办示范市住建局" in t for t in urges), urges
    assert any("签收超期（红灯），系统自动催办示范市住建局" in t for t in urges), urges
    assert any("办理临期（黄灯），系统自动催办示范市住建局" in t for t in urges), urges
    assert any("郑督办" in t and t.endswith("人工催办示范市住建局") for t in urges), urges
    assert any(t.endswith("人工催办示范市城管局：请今天内联系诉求人") for t in urges), urges
    assert any("诉求人评价" in text for kind, text in rows if kind == "rate")


def test_the_version_stays_in_the_forms(desk, client):
    appeal = desk.reach(S.DISPATCHED)
    client.force_login(desk.lead_handler)
    html = client.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert f'name="version" value="{appeal.version}"' in html
    assert "版本" not in html


def test_the_api_names_every_event_kind_in_chinese(desk):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(desk.dispatcher)
    names = {}
    for appeal in every_kind_of_event(desk):
        for e in api.get(f"/api/appeals/{appeal.pk}/").json()["timeline"]:
            names[e["action"]] = e["action_name"]
    assert set(names) == set(EVENT_KINDS)
    assert not {k: v for k, v in names.items() if re.search(r"[A-Za-z]", v)}
    assert names["rate"] == "诉求人评价" and names["recalculate"] == "重新计算期限"
