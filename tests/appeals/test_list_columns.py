"""全部诉求 with what people look for: the lead department also after closure, 是否解决 and 满意度
from the callback, a registration-date range (checked, and the same in the Excel export), and a
number of queries that does not grow with the rows."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from zhengwu.appeals import services
from zhengwu.appeals.workflow import AppealState as S

from .conftest import Desk, refresh

URL = reverse("appeals:list")


class Rows(HTMLParser):
    """The cells of #appeal-list, one dict per appeal: column heading → text."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.heads: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "appeal-list") in attrs:
            self.inside = True
        elif self.inside and tag == "thead":
            self.in_head = True
        elif self.inside and tag == "tr" and not self.in_head:
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "table":
            self.inside = False
        elif tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None:
            text = " ".join(self.cell)
            (self.heads if self.in_head else self.rows[-1]).append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None and data.strip():
            self.cell.append(data.strip())


def listed(html: str) -> dict[str, dict[str, str]]:
    parser = Rows()
    parser.feed(html)
    rows = [dict(zip(parser.heads, cells, strict=True)) for cells in parser.rows]
    return {row["工单号"]: row for row in rows}


def test_a_closed_appeal_keeps_its_lead_and_shows_the_callback_result(desk: Desk, client):
    closed = desk.reach(S.CLOSED)  # callback: solved, 非常满意
    replied = desk.reach(S.REPLIED)
    waiting = desk.register(title="尚未派单")
    client.force_login(desk.dispatcher)
    rows = listed(client.get(URL).content.decode())
    assert rows[closed.number]["主办单位"] == "示范市住建局"
    assert rows[closed.number]["是否解决"] == "已解决"
    assert rows[closed.number]["满意度"] == "非常满意"
    assert rows[replied.number]["主办单位"] == "示范市住建局"
    assert rows[replied.number]["是否解决"] == "—" and rows[replied.number]["满意度"] == "—"
    assert rows[waiting.number]["主办单位"] == "—"


def test_the_lead_after_redispatch_is_the_new_department(desk: Desk, client):
    appeal = desk.reach(S.RETURNED)
    services.redispatch(assignment=desk.lead(appeal), to=desk.other_dept, by=desk.dispatcher)
    client.force_login(desk.dispatcher)
    assert listed(client.get(URL).content.decode())[appeal.number]["主办单位"] == "示范市水利局"


def test_the_latest_reached_callback_counts(desk: Desk, client):
    appeal = desk.reach(S.REPLIED)
    services.record_callback(
        appeal=appeal, reached=True, solved="not_solved", satisfaction=4, note="仍未修好", by=desk.callback
    )
    appeal = refresh(appeal)  # reopened: in handling again
    services.submit_reply(appeal=appeal, text="已再次修复。", by=desk.lead_handler)
    services.approve_reply(appeal=appeal, by=desk.dispatcher)
    services.record_callback(appeal=appeal, reached=False, by=desk.callback)
    client.force_login(desk.dispatcher)
    row = listed(client.get(URL).content.decode())[appeal.number]
    assert (row["是否解决"], row["满意度"]) == ("未解决", "不满意")  # not yet reached again
    services.record_callback(
        appeal=refresh(appeal), reached=True, solved="partly", satisfaction=3, by=desk.callback
    )
    row = listed(client.get(URL).content.decode())[appeal.number]
    assert (row["是否解决"], row["满意度"]) == ("部分解决", "基本满意")


def register_on(desk: Desk, moment: str, title: str):
    with time_machine.travel(moment, tick=False):
        return desk.register(title=title)


def test_the_registration_date_range_filters_whole_local_days(desk: Desk, client):
    before = register_on(desk, "2026-06-09 23:59:00+08:00", "范围之前")
    first = register_on(desk, "2026-06-10 00:00:00+08:00", "范围第一天")
    last = register_on(desk, "2026-06-12 23:59:00+08:00", "范围最后一天")
    after = register_on(desk, "2026-06-13 00:01:00+08:00", "范围之后")
    client.force_login(desk.dispatcher)
    response = client.get(URL, {"registered_from": "2026-06-10", "registered_to": "2026-06-12"})
    assert response.status_code == 200
    shown = set(listed(response.content.decode()))
    assert {first.number, last.number} <= shown
    assert not {before.number, after.number} & shown
    # One end only
    shown = set(listed(client.get(URL, {"registered_from": "2026-06-13"}).content.decode()))
    assert after.number in shown and last.number not in shown
    # The chosen dates stay in the form
    html = client.get(URL, {"registered_from": "2026-06-10"}).content.decode()
    assert 'name="registered_from" value="2026-06-10"' in html


def test_a_wrong_range_is_refused_with_its_reason(desk: Desk, client):
    appeal = desk.register()
    client.force_login(desk.dispatcher)
    response = client.get(URL, {"registered_from": "2026-06-12", "registered_to": "2026-06-10"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "登记日期（止）不能早于登记日期（起）" in html and appeal.number not in html
    response = client.get(URL, {"registered_from": "2026-13-01"})
    assert response.status_code == 400
    assert "登记日期（起）格式不正确" in response.content.decode()


def test_the_export_uses_the_same_range_and_refuses_a_wrong_one(desk: Desk, client):
    inside = register_on(desk, "2026-06-10 09:00:00+08:00", "范围之内")
    outside = register_on(desk, "2026-06-20 09:00:00+08:00", "范围之外")
    with time_machine.travel("2026-06-11 09:00:00+08:00", tick=True):
        closed = desk.reach(S.CLOSED)
    client.force_login(desk.dispatcher)
    export = reverse("appeals:export")
    response = client.get(export, {"registered_from": "2026-06-01", "registered_to": "2026-06-15"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *body = list(sheet.iter_rows(values_only=True))
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert inside.number in by_number and outside.number not in by_number
    # the same lead and callback result as the page
    assert by_number[closed.number]["主办单位"] == "示范市住建局"
    assert (by_number[closed.number]["是否解决"], by_number[closed.number]["满意度"]) == (
        "已解决",
        "非常满意",
    )
    refused = client.get(export, {"registered_from": "2026-06-15", "registered_to": "2026-06-01"})
    assert refused.status_code == 400
    assert "登记日期（止）不能早于登记日期（起）" in refused.content.decode()


def test_queries_do_not_grow_with_the_rows(desk: Desk, client):
    client.force_login(desk.dispatcher)
    desk.reach(S.CLOSED)
    desk.reach(S.IN_PROGRESS)  # an open one: the lights read the calendar (once per page)
    client.get(URL)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for state in (S.CLOSED, S.REPLIED, S.IN_PROGRESS, S.DISPATCHED, S.REGISTERED):
        desk.reach(state)
    with CaptureQueriesContext(connection) as many:
        html = client.get(URL).content.decode()
    assert len(listed(html)) == 7
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
