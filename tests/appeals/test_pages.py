"""The staff pages of the appeals desk: who may open them, what the detail page offers, that its
forms move the appeal through the services (and refuse stale or forbidden ones with the right
status and nothing saved), confidentiality, the department's isolation, the board's drill-down,
and query counts that do not grow with the number of appeals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengwu.appeals import services, worklists
from zhengwu.appeals.models import Appeal, Assignment, Extension, HandlingMode
from zhengwu.appeals.workflow import AppealState as S

from ..factories import UserFactory
from .conftest import refresh

STALE = "已被他人修改，请刷新后重试"


def detail(appeal: Appeal) -> str:
    return reverse("appeals:detail", args=[appeal.pk])


def act(appeal: Appeal, action: str) -> str:
    return reverse("appeals:act", args=[appeal.pk, action])


def offered(html: str) -> set[str]:
    """The action forms on a detail page."""
    return set(re.findall(r'<form[^>]*data-action="([a-z_]+)"', html))


def page(client, user, url: str, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


# ---------------------------------------------------------------------------------------------
# Who may open what
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("appeals:intake", "operator", "lead_handler"),
        ("appeals:dispatch_queue", "dispatcher", "operator"),
        ("appeals:inbox", "lead_handler", "dispatcher"),
        ("appeals:callback_queue", "callback", "lead_handler"),
        ("analytics:board", "supervisor", "dispatcher"),
        ("appeals:list", "lead_handler", None),
    ],
)
def test_each_page_opens_for_its_role_only(desk, client, name, allowed, refused):
    response = page(client, getattr(desk, allowed), reverse(name))
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()
    if refused:
        assert page(client, getattr(desk, refused), reverse(name)).status_code == 403


def test_pages_need_a_login_and_a_staff_role(desk, client):
    url = reverse("appeals:list")
    assert client.get(url).status_code == 302  # to the login page
    citizen = UserFactory(is_staff=False, department=None)
    assert page(client, citizen, url).status_code == 403
    assert page(client, citizen, detail(desk.register())).status_code == 403


def test_a_department_gets_404_for_an_appeal_it_was_never_sent(desk, client):
    appeal = desk.reach(S.DISPATCHED)
    assert page(client, desk.other_handler, detail(appeal)).status_code == 404
    client.force_login(desk.other_handler)
    response = client.post(
        act(appeal, "sign"), {"version": appeal.version, "assignment": desk.lead(appeal).pk}
    )
    assert response.status_code == 404
    assert desk.lead(appeal).state == "pending"


# ---------------------------------------------------------------------------------------------
# Intake
# ---------------------------------------------------------------------------------------------

INTAKE = {
    "channel": "hotline",
    "appeal_type": "complaint",
    "urgency": "ordinary",
    "contact_phone": "13800000009",
    "contact_name": "赵女士",
    "title": "夜间施工噪音扰民",
    "body": "幸福小区旁工地每晚十一点后仍在施工。",
    "address": "东城区幸福小区",
}


def test_the_operator_registers_and_sees_the_number_and_query_code_once(desk, client):
    client.force_login(desk.operator)
    form = client.get(reverse("appeals:intake")).content.decode()
    assert "autofocus" in form and 'hx-get="/appeals/intake/history/"' in form
    response = client.post(reverse("appeals:intake"), INTAKE, follow=True)
    appeal = Appeal.objects.get()
    assert response.redirect_chain[-1][0] == detail(appeal)
    html = response.content.decode()
    match = re.search(rf"已登记，工单号 {appeal.number}，查询码 (\d{{8}})", html)
    assert match and services.query_code_matches(appeal, match.group(1))
    assert appeal.registered_by == desk.operator and appeal.state == S.REGISTERED
    again = client.get(detail(appeal)).content.decode()
    assert match.group(1) not in again


def test_intake_refuses_bad_input_in_chinese_and_saves_nothing(desk, client):
    client.force_login(desk.operator)
    response = client.post(reverse("appeals:intake"), {**INTAKE, "contact_phone": "12345abc"})
    assert response.status_code == 400
    assert "联系电话格式不正确" in response.content.decode()
    response = client.post(reverse("appeals:intake"), {**INTAKE, "anonymous": "on"})
    assert response.status_code == 422 and "只有举报可以匿名" in response.content.decode()
    response = client.post(reverse("appeals:intake"), {**INTAKE, "title": ""})
    assert response.status_code == 400
    assert not Appeal.objects.exists()


def test_a_consultation_is_answered_on_the_spot_or_not_at_all(desk, client):
    client.force_login(desk.operator)
    response = client.post(
        reverse("appeals:intake"), {**INTAKE, "answer": "请携带身份证到社保网点办理。"}
    )  # a complaint cannot be answered on the spot
    assert response.status_code == 400 and "只有咨询类诉求可以当场答复办结" in response.content.decode()
    assert not Appeal.objects.exists()
    response = client.post(
        reverse("appeals:intake"),
        {**INTAKE, "appeal_type": "consultation", "answer": "请携带身份证到社保网点办理。"},
        follow=True,
    )
    appeal = Appeal.objects.get()
    assert appeal.state == S.CLOSED and appeal.handling_mode == HandlingMode.GUIDE
    assert "已当场答复办结" in response.content.decode()


def test_the_phone_lookup_lists_the_callers_earlier_appeals(desk, client):
    first = desk.register(title="路灯不亮", contact_phone="13800000077")
    desk.register(title="别人的诉求", contact_phone="13800000078")
    client.force_login(desk.operator)
    url = reverse("appeals:caller_history")
    html = client.get(url, {"contact_phone": "13800000077"}, headers={"HX-Request": "true"}).content.decode()
    assert first.number in html and "路灯不亮" in html and "别人的诉求" not in html
    assert "<html" not in html
    assert "没有历史诉求" in client.get(url, {"contact_phone": "13900000000"}).content.decode()
    assert page(client, desk.lead_handler, url).status_code == 403


# ---------------------------------------------------------------------------------------------
# The detail page offers what the role and the state allow
# ---------------------------------------------------------------------------------------------


def test_a_handler_may_sign_or_return_its_own_assignment_and_not_dispatch(desk, client):
    appeal = desk.reach(S.DISPATCHED)
    html = page(client, desk.lead_handler, detail(appeal)).content.decode()
    assert offered(html) == {"sign", "return"}
    assert "派单（分办转办）" not in html
    # the co-handler sees only its own assignment's buttons
    co_html = page(client, desk.co_handler, detail(appeal)).content.decode()
    assert offered(co_html) == {"sign", "return"}
    assert f'name="assignment" value="{desk.co(appeal).pk}"' in co_html
    assert f'name="assignment" value="{desk.lead(appeal).pk}"' not in co_html


def test_the_dispatcher_sees_dispatch_on_a_triaged_appeal(desk, client):
    triaged = desk.reach(S.TRIAGED)
    assert {"dispatch", "triage"} <= offered(page(client, desk.dispatcher, detail(triaged)).content.decode())
    in_progress = desk.reach(S.IN_PROGRESS)
    html = page(client, desk.dispatcher, detail(in_progress)).content.decode()
    assert "dispatch" not in offered(html) and "sign" not in offered(html)
    assert offered(page(client, desk.lead_handler, detail(in_progress)).content.decode()) == {
        "note",
        "reply",
        "request_extension",
    }


@pytest.mark.parametrize(
    ("state", "role", "expected"),
    [
        (S.REGISTERED, "operator", {"triage", "merge"}),
        (S.RETURNED, "dispatcher", {"redispatch", "reject_return"}),
        (S.REPLY_REVIEW, "dispatcher", {"approve_reply", "rework_reply"}),
        (S.REPLIED, "callback", {"callback"}),  # 办结 only after a callback that failed
        (S.CLOSED, "dispatcher", {"archive"}),
        (S.IN_PROGRESS, "supervisor", {"urge", "supervise"}),
        (S.ARCHIVED, "dispatcher", set()),
        (S.REPLIED, "lead_handler", set()),
    ],
)
def test_only_the_allowed_actions_are_offered(desk, client, state, role, expected):
    appeal = desk.reach(state)
    html = page(client, getattr(desk, role), detail(appeal)).content.decode()
    assert offered(html) == expected


def test_close_is_offered_once_a_callback_could_not_reach_the_citizen(desk, client):
    appeal = desk.reach(S.REPLIED)
    services.record_callback(appeal=appeal, reached=False, note="电话无人接听", by=desk.callback)
    assert offered(page(client, desk.callback, detail(appeal)).content.decode()) == {"callback", "close"}


def test_a_consultation_may_be_answered_on_the_spot_from_the_detail(desk, client):
    appeal = desk.register(appeal_type="consultation", title="社保卡补办要带什么")
    client.force_login(desk.operator)
    assert "answer" in offered(client.get(detail(appeal)).content.decode())
    client.post(act(appeal, "answer"), {"version": appeal.version, "answer": "携带身份证到社保网点办理。"})
    appeal = refresh(appeal)
    assert appeal.state == S.CLOSED and appeal.reply == "携带身份证到社保网点办理。"


def test_the_detail_shows_the_timeline_and_its_chain_check(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    html = page(client, desk.dispatcher, detail(appeal)).content.decode()
    assert "轨迹校验：完整" in html
    for label in ("受理登记", "研判分类", "派单", "签收"):
        assert label in html
    assert "住建承办" in html and "示范市住建局" in html
    event = appeal.events.get(seq=2)
    type(event).objects.filter(pk=event.pk).update(note="篡改")
    assert "轨迹校验：第2条：轨迹内容被改动" in page(client, desk.dispatcher, detail(appeal)).content.decode()


# ---------------------------------------------------------------------------------------------
# Posting actions
# ---------------------------------------------------------------------------------------------


def test_triage_and_dispatch_through_the_page(desk, client):
    appeal = desk.register()
    client.force_login(desk.dispatcher)
    response = client.post(
        act(appeal, "triage"),
        {"version": appeal.version, "category": desk.category.pk, "handling_mode": "dispatch"},
    )
    assert response.status_code == 302 and response.url == detail(appeal)
    appeal = refresh(appeal)
    assert appeal.state == S.TRIAGED and appeal.category == desk.category
    response = client.post(
        act(appeal, "dispatch"),
        {
            "version": appeal.version,
            "lead": desk.lead_dept.pk,
            "co_handlers": [desk.co_dept.pk, desk.lead_dept.pk],
        },
        follow=True,
    )
    appeal = refresh(appeal)
    assert appeal.state == S.DISPATCHED
    assert {(a.department_id, a.role) for a in appeal.assignments.all()} == {
        (desk.lead_dept.pk, "lead"),
        (desk.co_dept.pk, "co"),
    }
    assert "已派单：示范市住建局主办，示范市城管局协办" in response.content.decode()


def test_an_htmx_post_gets_the_detail_area_back(desk, client):
    appeal = desk.reach(S.DISPATCHED)
    client.force_login(desk.lead_handler)
    response = client.post(
        act(appeal, "sign"),
        {"version": appeal.version, "assignment": desk.lead(appeal).pk},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="appeal-detail">') and "<html" not in html
    assert "示范市住建局已签收" in html and 'data-state="in_progress"' in html
    assert refresh(appeal).state == S.IN_PROGRESS


def test_a_stale_form_gets_409_and_changes_nothing(desk, client):
    appeal = desk.reach(S.DISPATCHED)
    stale = appeal.version
    services.sign(assignment=desk.co(appeal), by=desk.co_handler)  # someone else acted meanwhile
    before = refresh(appeal)
    client.force_login(desk.lead_handler)
    response = client.post(act(appeal, "sign"), {"version": stale, "assignment": desk.lead(appeal).pk})
    assert response.status_code == 409
    assert STALE in response.content.decode()
    after = refresh(appeal)
    assert (after.state, after.version) == (before.state, before.version)
    assert desk.lead(appeal).state == "pending"
    # the same under htmx: the area comes back with the message, still 409
    response = client.post(
        act(appeal, "return"),
        {"version": stale, "assignment": desk.lead(appeal).pk, "reason": "不属于本部门"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409 and STALE in response.content.decode()
    assert refresh(appeal).version == before.version


def test_a_forbidden_or_impossible_action_is_refused_with_its_status(desk, client):
    appeal = desk.reach(S.TRIAGED)
    client.force_login(desk.lead_handler)
    # a handler may not dispatch (it cannot even see the appeal before dispatch: 404)
    response = client.post(act(appeal, "dispatch"), {"version": appeal.version, "lead": desk.lead_dept.pk})
    assert response.status_code == 404
    client.force_login(desk.callback)
    response = client.post(act(appeal, "dispatch"), {"version": appeal.version, "lead": desk.lead_dept.pk})
    assert response.status_code == 403 and "您的角色不能派单" in response.content.decode()
    client.force_login(desk.dispatcher)
    response = client.post(act(appeal, "approve_reply"), {"version": appeal.version})
    assert (
        response.status_code == 409
        and "当前状态为“待派单”，不能审核通过并答复诉求人" in response.content.decode()
    )
    response = client.post(act(appeal, "dispatch"), {"version": appeal.version})
    assert response.status_code == 400 and "该字段是必填项" in response.content.decode()
    assert refresh(appeal).state == S.TRIAGED and not appeal.assignments.exists()
    assert client.post(act(appeal, "no_such_action"), {}).status_code == 404
    assert client.get(act(appeal, "dispatch")).status_code == 405


def test_return_redispatch_extension_reply_callback_and_close_through_the_pages(desk, client, settings):
    appeal = desk.reach(S.DISPATCHED)
    co = desk.co(appeal)
    client.force_login(desk.co_handler)
    client.post(
        act(appeal, "return"), {"version": refresh(appeal).version, "assignment": co.pk, "reason": "归水利"}
    )
    assert Assignment.objects.get(pk=co.pk).state == "returned"
    client.force_login(desk.dispatcher)
    assert "redispatch" in offered(client.get(detail(appeal)).content.decode())
    client.post(
        act(appeal, "redispatch"),
        {"version": refresh(appeal).version, "assignment": co.pk, "to": desk.other_dept.pk},
    )
    assert appeal.assignments.filter(department=desk.other_dept, state="pending").exists()

    client.force_login(desk.lead_handler)
    client.post(act(appeal, "sign"), {"version": refresh(appeal).version, "assignment": desk.lead(appeal).pk})
    lead = desk.lead(appeal)
    too_early = timezone.localtime(lead.handle_due_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        act(appeal, "request_extension"),
        {"version": refresh(appeal).version, "assignment": lead.pk, "reason": "需协调", "until": too_early},
    )
    assert response.status_code == 422 and "申请延期的期限须晚于当前期限" in response.content.decode()
    until = timezone.localtime(lead.handle_due_at + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        act(appeal, "request_extension"),
        {"version": refresh(appeal).version, "assignment": lead.pk, "reason": "需协调施工", "until": until},
    )
    extension = Extension.objects.get()
    client.force_login(desk.dispatcher)
    assert "decide_extension" in offered(client.get(detail(appeal)).content.decode())
    client.post(
        act(appeal, "decide_extension"),
        {"version": refresh(appeal).version, "extension": extension.pk, "decision": "approve", "note": ""},
    )
    assert timezone.localtime(refresh(appeal).due_at).strftime("%Y-%m-%dT%H:%M") == until

    client.force_login(desk.lead_handler)
    client.post(act(appeal, "reply"), {"version": refresh(appeal).version, "text": "已修复。"})
    assert refresh(appeal).state == S.REPLY_REVIEW
    client.force_login(desk.dispatcher)
    client.post(act(appeal, "approve_reply"), {"version": refresh(appeal).version})
    assert refresh(appeal).state == S.REPLIED
    client.force_login(desk.callback)
    response = client.post(
        act(appeal, "callback"),
        {"version": refresh(appeal).version, "reached": "1", "solved": "not_solved", "satisfaction": "4"},
        follow=True,
    )
    assert refresh(appeal).state == S.IN_PROGRESS and "已重办" in response.content.decode()
    response = client.post(act(appeal, "close"), {"version": refresh(appeal).version, "note": "x"})
    assert response.status_code == 409  # not in 已答复 any more
    services.submit_reply(appeal=refresh(appeal), text="已返工。", by=desk.lead_handler)
    services.approve_reply(appeal=refresh(appeal), by=desk.dispatcher)
    response = client.post(
        act(appeal, "callback"), {"version": refresh(appeal).version, "reached": "1", "solved": "solved"}
    )
    assert response.status_code == 400 and "请选择满意度" in response.content.decode()
    client.post(
        act(appeal, "callback"),
        {"version": refresh(appeal).version, "reached": "1", "solved": "solved", "satisfaction": "1"},
    )
    assert refresh(appeal).state == S.CLOSED


def test_merge_urge_and_supervise_through_the_pages(desk, client):
    original = desk.register(title="原工单")
    repeat = desk.register()
    client.force_login(desk.operator)
    html = client.get(detail(repeat)).content.decode()
    assert original.number in html  # proposed: the same caller's other appeal
    response = client.post(act(repeat, "merge"), {"version": repeat.version, "into": "ZW-20000101-000001"})
    assert response.status_code == 400 and "没有找到工单号" in response.content.decode()
    client.post(act(repeat, "merge"), {"version": repeat.version, "into": original.number.lower()})
    assert refresh(repeat).state == S.MERGED and refresh(repeat).merged_into == original

    appeal = desk.reach(S.IN_PROGRESS)
    client.force_login(desk.supervisor)
    response = client.post(
        act(appeal, "urge"), {"version": appeal.version, "assignment": desk.lead(appeal).pk}, follow=True
    )
    assert "已催办示范市住建局" in response.content.decode()
    assert desk.lead(appeal).urges.get().threshold.startswith("manual-")
    response = client.post(
        act(appeal, "urge"), {"version": appeal.version, "assignment": desk.lead(appeal).pk}
    )
    assert response.status_code == 409 and STALE in response.content.decode()
    client.post(
        act(appeal, "supervise"),
        {
            "version": refresh(appeal).version,
            "department": desk.lead_dept.pk,
            "note": "请三日内办结",
            "days": "3",
            "red_list": "on",
        },
    )
    appeal = refresh(appeal)
    assert appeal.red_listed and appeal.supervisions.get().note == "请三日内办结"


# ---------------------------------------------------------------------------------------------
# Confidentiality and isolation
# ---------------------------------------------------------------------------------------------


def test_a_confidential_reporter_is_never_shown_to_the_handling_department(desk, client):
    citizen_user = UserFactory(is_staff=False, department=None, name="李举报")
    appeal, _ = services.register_appeal(
        channel="web",
        appeal_type="report",
        title="举报违规排污",
        body="某厂夜间排污。",
        contact_name="李举报",
        contact_phone="13900001111",
        confidential=True,
        by=citizen_user,
    )
    services.triage(appeal=appeal, category=desk.category, handling_mode="dispatch", by=desk.dispatcher)
    services.dispatch(appeal=refresh(appeal), lead=desk.lead_dept, by=desk.dispatcher)
    for url in (detail(appeal), reverse("appeals:inbox"), reverse("appeals:list")):
        html = page(client, desk.lead_handler, url).content.decode()
        assert "李举报" not in html and "13900001111" not in html and "139****1111" not in html
        assert appeal.number in html
    handler_view = page(client, desk.lead_handler, detail(appeal)).content.decode()
    assert "已为诉求人保密" in handler_view and "诉求人" in handler_view
    # searching the phone does not reveal it either
    html = page(client, desk.lead_handler, reverse("appeals:list") + "?q=13900001111").content.decode()
    assert appeal.number not in html
    # the dispatcher sees who it is, with a masked number: the whole one is an audited reveal
    html = page(client, desk.dispatcher, detail(appeal)).content.decode()
    assert "李举报" in html and "139****1111" in html and "13900001111" not in html
    assert "查看完整号码" in html


def test_phones_are_masked_in_lists_and_for_roles_without_personal_data(desk, client):
    appeal = desk.reach(S.IN_PROGRESS)
    for user, url in (
        (desk.dispatcher, reverse("appeals:list")),
        (desk.lead_handler, detail(appeal)),
        (desk.supervisor, detail(appeal)),
    ):
        html = page(client, user, url).content.decode()
        assert "138****0001" in html and "13800000001" not in html
    # callback staff call the citizen: the whole number is one audited click away (test_privacy)
    html = page(client, desk.callback, detail(appeal)).content.decode()
    assert "13800000001" not in html and "查看完整号码" in html


def test_the_inbox_lists_only_the_departments_own_assignments(desk, client):
    mine = desk.reach(S.DISPATCHED)
    theirs = desk.reach(S.TRIAGED)
    services.dispatch(appeal=theirs, lead=desk.other_dept, by=desk.dispatcher)
    html = page(client, desk.lead_handler, reverse("appeals:inbox")).content.decode()
    assert mine.number in html and theirs.number not in html
    assert 'data-count="pending">1<' in html
    other = page(client, desk.other_handler, reverse("appeals:inbox")).content.decode()
    assert theirs.number in other and mine.number not in other
    listing = page(client, desk.lead_handler, reverse("appeals:list")).content.decode()
    assert mine.number in listing and theirs.number not in listing


def test_inbox_tabs_sort_into_pending_signed_near_and_overdue(desk, client):
    pending = desk.reach(S.DISPATCHED)
    signed = desk.reach(S.IN_PROGRESS)
    late = desk.reach(S.IN_PROGRESS)
    Assignment.objects.filter(pk=desk.lead(late).pk).update(handle_due_at=timezone.now() - timedelta(hours=1))
    client.force_login(desk.lead_handler)

    def numbers(tab):
        html = client.get(reverse("appeals:inbox"), {"tab": tab}).content.decode()
        return {a.number for a in (pending, signed, late) if a.number in html}

    assert numbers("pending") == {pending.number}
    assert numbers("signed") == {signed.number, late.number}
    assert numbers("red") == {late.number}
    html = client.get(reverse("appeals:inbox"), {"tab": "red"}).content.decode()
    assert 'badge red">超期' in html
    assert numbers("finished") == set()
    searched = client.get(reverse("appeals:inbox"), {"q": late.number, "tab": "signed"}).content.decode()
    assert late.number in searched and signed.number not in searched


# ---------------------------------------------------------------------------------------------
# Queues, board and list
# ---------------------------------------------------------------------------------------------


def test_the_dispatch_queue_counts_each_section(desk, client):
    desk.reach(S.REGISTERED)
    desk.reach(S.TRIAGED)
    returned = desk.reach(S.RETURNED)
    review = desk.reach(S.REPLY_REVIEW)
    ext_appeal = desk.reach(S.IN_PROGRESS)
    services.request_extension(
        assignment=desk.lead(ext_appeal),
        reason="需协调",
        until=desk.lead(ext_appeal).handle_due_at + timedelta(days=5),
        by=desk.lead_handler,
    )
    client.force_login(desk.dispatcher)
    html = client.get(reverse("appeals:dispatch_queue")).content.decode()
    for tab, n in (
        ("registered", 1),
        ("triaged", 1),
        ("returned", 1),
        ("extensions", 1),
        ("reply_review", 1),
    ):
        assert f'data-count="{tab}">{n}<' in html
    assert (
        returned.number in client.get(reverse("appeals:dispatch_queue"), {"tab": "returned"}).content.decode()
    )
    assert (
        review.number
        in client.get(reverse("appeals:dispatch_queue"), {"tab": "reply_review"}).content.decode()
    )
    assert "需协调" in client.get(reverse("appeals:dispatch_queue"), {"tab": "extensions"}).content.decode()


def test_the_callback_queue_lists_replied_appeals(desk, client):
    replied = desk.reach(S.REPLIED)
    other = desk.reach(S.IN_PROGRESS)
    html = page(client, desk.callback, reverse("appeals:callback_queue")).content.decode()
    assert replied.number in html and other.number not in html
    assert "138****0001" in html and "13800000001" not in html  # masked in the list
    html = page(client, desk.callback, detail(replied)).content.decode()
    assert "13800000001" not in html and "查看完整号码" in html  # they call: an audited reveal


def test_the_board_counts_per_department_and_drills_down(desk, client):
    late = desk.reach(S.IN_PROGRESS)
    red = desk.reach(S.DISPATCHED)
    desk.reach(S.DISPATCHED)
    desk.reach(S.CLOSED)  # closed: not counted
    Assignment.objects.filter(pk=desk.lead(late).pk).update(handle_due_at=timezone.now() - timedelta(days=9))
    Appeal.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=9))
    Appeal.objects.filter(pk=red.pk).update(red_listed=True)
    client.force_login(desk.supervisor)
    html = client.get(reverse("analytics:board")).content.decode()
    row = re.search(rf'<tr data-department="{desk.lead_dept.pk}">(.*?)</tr>', html, re.S).group(1)
    numbers = [int(n) for n in re.findall(r">(\d+)<", row)]
    assert numbers == [3, 1, 1]  # open, overdue, red
    assert late.number in html and red.number in html  # long overdue, red list
    overdue_url = f"{reverse('appeals:list')}?department={desk.lead_dept.pk}&amp;overdue=1"
    assert overdue_url in html
    drilled = client.get(overdue_url.replace("&amp;", "&")).content.decode()
    assert late.number in drilled and red.number not in drilled
    drilled = client.get(
        reverse("appeals:list"), {"department": desk.lead_dept.pk, "red": 1}
    ).content.decode()
    assert red.number in drilled and late.number not in drilled
    drilled = client.get(
        reverse("appeals:list"), {"department": desk.lead_dept.pk, "open": 1}
    ).content.decode()
    assert drilled.count('href="/appeals/') - drilled.count('href="/appeals/?') >= 3


def test_the_list_filters_searches_and_pages_by_key(desk, client, monkeypatch):
    appeals = [
        desk.register(title=f"诉求{i}", urgency="emergency" if i % 2 else "ordinary") for i in range(7)
    ]
    client.force_login(desk.dispatcher)
    url = reverse("appeals:list")
    assert appeals[3].number in client.get(url, {"q": appeals[3].number}).content.decode()
    assert appeals[4].number not in client.get(url, {"q": appeals[3].number}).content.decode()
    html = client.get(url, {"urgency": "emergency"}).content.decode()
    assert {a.number for a in appeals if a.number in html} == {a.number for a in appeals[1::2]}
    assert appeals[0].number in client.get(url, {"q": "诉求0"}).content.decode()

    monkeypatch.setattr(worklists, "PAGE_SIZE", 3)
    seen: list[str] = []
    next_url = url
    while next_url:
        html = client.get(next_url).content.decode()
        seen += re.findall(r">(12345-\d{8}-\d{6})</a>", html)
        found = re.search(r'href="(\?[^"]*after=[^"]*)" rel="next"', html)
        next_url = url + found.group(1).replace("&amp;", "&") if found else ""
    assert seen == [a.number for a in reversed(appeals)]  # newest first, each once
    old_first = client.get(url, {"sort": "old"}).content.decode()
    assert appeals[0].number in old_first and appeals[6].number not in old_first


# ---------------------------------------------------------------------------------------------
# Query counts do not grow with the data
# ---------------------------------------------------------------------------------------------


def _populate(desk, n: int) -> None:
    states = [S.REGISTERED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.REPLY_REVIEW, S.REPLIED, S.RETURNED]
    for i in range(n):
        appeal = desk.reach(states[i % len(states)])
        if i % 4 == 0:
            Appeal.objects.filter(pk=appeal.pk).update(red_listed=True, confidential=True)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    ("lead_handler", "appeals:inbox", ""),
    ("lead_handler", "appeals:inbox", "?tab=signed"),
    ("lead_handler", "appeals:inbox", "?tab=red"),
    ("lead_handler", "appeals:list", ""),
    ("dispatcher", "appeals:dispatch_queue", ""),
    ("dispatcher", "appeals:dispatch_queue", "?tab=returned"),
    ("dispatcher", "appeals:dispatch_queue", "?tab=reply_review"),
    ("dispatcher", "appeals:list", "?open=1"),
    ("supervisor", "analytics:board", ""),
    ("callback", "appeals:callback_queue", ""),
]


def test_worklist_query_counts_do_not_grow_with_the_appeals(desk, client, django_assert_max_num_queries):
    _populate(desk, 5)
    small = {}
    for role, name, query in PAGES:
        client.force_login(getattr(desk, role))
        small[(role, name, query)] = _queries(client, reverse(name) + query)
    _populate(desk, 25)
    for role, name, query in PAGES:
        client.force_login(getattr(desk, role))
        with django_assert_max_num_queries(small[(role, name, query)]):
            assert client.get(reverse(name) + query).status_code == 200
