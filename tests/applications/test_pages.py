"""The staff pages of applications: who may open which worklist, what the application page shows and
offers, that its forms move the application through the services (and refuse stale, invalid or
forbidden ones with the right status and nothing saved), confirmations on irreversible steps, and
htmx partials."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from zhengwu.applications import services
from zhengwu.applications.models import Application, MaterialStatus, WindowAuthorisation
from zhengwu.applications.workflow import ApplicationState as S

from .conftest import online, walk_in

pytestmark = pytest.mark.django_db
STALE = "已被他人修改，请刷新后重试"


def detail(app: Application) -> str:
    return reverse("applications:detail", args=[app.number])


def act(app: Application, action: str) -> str:
    return reverse("applications:act", args=[app.number, action])


def offered(html: str) -> set[str]:
    return set(re.findall(r'<form[^>]*data-action="([a-z_]+)"', html))


def fresh(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)


def get(client, user, url: str, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


def post(client, user, app: Application, action: str, data: dict | None = None, **kwargs):
    client.force_login(user)
    return client.post(act(app, action), {"version": fresh(app).version, **(data or {})}, **kwargs)


# ---------------------------------------------------------------------------------------------
# Who may open what
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("applications:window_queue", "clerk", "approver"),
        ("applications:review_queue", "approver", "clerk"),
        ("applications:delivery_queue", "delivery", "approver"),
        ("applications:list", "leader", None),
        ("applications:list", "approver", None),
    ],
)
def test_each_worklist_opens_for_its_role_only(office, client, name, allowed, refused):
    response = get(client, getattr(office, allowed), reverse(name))
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()
    if refused:
        assert get(client, getattr(office, refused), reverse(name)).status_code == 403


def test_pages_need_a_login(office, client):
    assert client.get(reverse("applications:list")).status_code == 302


# ---------------------------------------------------------------------------------------------
# The application page
# ---------------------------------------------------------------------------------------------


def test_the_page_shows_header_answers_materials_notices_and_timeline(office, client):
    app = walk_in(office).application
    html = get(client, office.clerk, detail(app)).content.decode()
    assert app.number in html and "食品经营许可" in html and "市场监督管理局" in html
    assert "已受理待审查" in html
    assert "承诺办结时间" in html and f"{fresh(app).due_at:%Y}" in html
    # the identity number masked, the phone whole for the window
    code = app.applicant_code
    assert code not in html and f"{code[:4]}**********{code[-4:]}" in html
    assert "13900001111" in html
    # the form's answers under their labels
    assert "经营场所" in html and "示范市中原路1号" in html
    # the checklist, the notice with its PDF link, the chained history
    assert "身份证明" in html and "关键材料" in html
    notice = app.notices.get()
    assert reverse("applications:notice", args=[app.number, notice.number]) in html
    assert 'data-event="submit"' in html and 'data-event="accept"' in html
    assert "轨迹校验：完整" in html


def test_an_approver_sees_the_phone_masked(office, client):
    app = walk_in(office).application
    html = get(client, office.approver, detail(app)).content.decode()
    assert "13900001111" not in html and "139****1111" in html


def test_only_available_actions_are_offered(office, client):
    app = walk_in(office).application
    assert offered(get(client, office.approver, detail(app)).content.decode()) == {
        "review",
        "return_to_window",
    }
    clerk_forms = offered(get(client, office.clerk, detail(app)).content.decode())
    assert "review" not in clerk_forms and "withdraw" in clerk_forms
    assert (
        offered(get(client, office.delivery, detail(walk_in(office).application)).content.decode()) == set()
    )


def test_irreversible_steps_ask_first(office, client):
    app = online(office).application
    html = get(client, office.clerk, detail(app)).content.decode()
    refuse = re.search(r'data-action="refuse".*?</form>', html, re.S).group(0)
    assert 'data-confirm="不予受理' in refuse
    withdraw = re.search(r'data-action="withdraw".*?</form>', html, re.S).group(0)
    assert "data-confirm=" in withdraw
    accept = re.search(r'data-action="accept".*?</form>', html, re.S).group(0)
    assert 'data-confirm="受理后开始计时' in accept  # the 受理通知书 cannot be taken back
    review = walk_in(office).application
    html = get(client, office.approver, detail(review)).content.decode()
    start = re.search(r'data-action="review".*?</form>', html, re.S).group(0)
    assert "data-confirm=" not in start  # starting the review commits to nothing


def test_htmx_gets_the_area_and_a_full_page_otherwise(office, client):
    app = walk_in(office).application
    full = get(client, office.clerk, detail(app)).content.decode()
    part = get(client, office.clerk, detail(app), headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and 'id="application-detail"' in full
    assert "<html" not in part and part.lstrip().startswith('<div id="application-detail"')


# ---------------------------------------------------------------------------------------------
# Actions through the page
# ---------------------------------------------------------------------------------------------


def test_online_submission_supplement_then_accept_through_the_page(office, client):
    app = online(office).application
    materials = list(app.materials.order_by("order"))
    response = post(
        client,
        office.clerk,
        app,
        "request_supplement",
        {
            f"supplement.{materials[1].pk}": "on",
            f"supplement.{materials[1].pk}.reason": "申请书未签字",
            f"supplement.{materials[2].pk}.reason": "平面图不清晰",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail(app)
    app = fresh(app)
    assert app.state == S.SUPPLEMENT
    items = app.supplement_requests.get().items
    assert [(i["name"], i["reason"]) for i in items] == [
        ("食品经营许可申请书", "申请书未签字"),
        ("经营场所平面图", "平面图不清晰"),
    ]
    html = get(client, office.clerk, detail(app)).content.decode()
    assert "申请书未签字" in html and "第1次" in html
    # the window receives the paper 补正 and the submission is back to 预审
    assert post(client, office.clerk, app, "supply", {"note": "窗口收取"}).status_code == 302
    assert fresh(app).state == S.SUBMITTED
    uses = office.uses
    response = post(
        client,
        office.clerk,
        app,
        "accept",
        {
            f"materials.{uses[0].pk}": "received",
            f"materials.{uses[0].pk}.originals": "1",
            f"materials.{uses[1].pk}": "received",
            f"materials.{uses[1].pk}.originals": "0",
            f"materials.{uses[2].pk}": "received",
            f"materials.{uses[2].pk}.originals": "0",
            f"materials.{uses[3].pk}": "deferred",
            f"materials.{uses[3].pk}.commitment": "本人承诺五个工作日内补交健康证明",
            f"materials.{uses[3].pk}.defer_days": "5",
            "note": "材料齐全",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    app = fresh(app)
    assert app.state == S.ACCEPTED and app.due_at is not None
    health = app.materials.get(item_material=uses[3])
    assert health.status == MaterialStatus.DEFERRED and health.commitment.startswith("本人承诺")


def test_a_critical_material_cannot_be_deferred_and_the_refusal_sits_on_its_line(office, client):
    app = online(office).application
    critical = office.uses[0]
    response = post(
        client,
        office.clerk,
        app,
        "accept",
        {
            **{f"materials.{u.pk}": "received" for u in office.uses},
            f"materials.{critical.pk}": "deferred",
            f"materials.{critical.pk}.commitment": "以后补",
            f"materials.{critical.pk}.defer_days": "3",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    line = re.search(r"<tr>\s*<td>身份证明.*?</tr>", html, re.S).group(0)
    assert "是关键材料，不能容缺受理" in line
    assert fresh(app).state == S.SUBMITTED and fresh(app).version == app.version


def test_back_office_walk_to_delivery_through_the_page(office, client):
    app = walk_in(office).application
    assert post(client, office.approver, app, "review", {"note": "开始审查"}).status_code == 302
    assert (
        post(
            client, office.approver, app, "start_special", {"kind": "expert", "reason": "需专家论证"}
        ).status_code
        == 302
    )
    assert fresh(app).state == S.SPECIAL and fresh(app).paused_since is not None
    assert post(client, office.approver, app, "end_special", {"result": "专家同意"}).status_code == 302
    response = post(client, office.approver, app, "request_extension", {"days": "5", "reason": "情况复杂"})
    assert response.status_code == 302
    # the same approver may not approve their own request: the form is not offered …
    assert "decide_extension" not in offered(get(client, office.approver, detail(app)).content.decode())
    # … and posting it anyway is refused with 403, nothing saved
    response = post(client, office.approver, app, "decide_extension", {"approve": "yes"})
    assert response.status_code == 403 and "不能自己批准" in response.content.decode()
    before = fresh(app).limit_days
    assert (
        post(
            client, office.second_approver, app, "decide_extension", {"approve": "yes", "note": "同意"}
        ).status_code
        == 302
    )
    assert fresh(app).limit_days == before + 5
    assert (
        post(client, office.approver, app, "decide", {"approved": "yes", "opinion": "符合条件"}).status_code
        == 302
    )
    assert (
        post(client, office.approver, app, "complete", {"result_number": "市监食许〔2026〕1号"}).status_code
        == 302
    )
    assert (
        post(client, office.approver, app, "certify", {"licence_number": "JY1410100000001"}).status_code
        == 302
    )
    assert fresh(app).state == S.CERTIFIED
    # 出件 by someone else than the applicant needs 代领 and a 委托书
    response = post(
        client,
        office.delivery,
        app,
        "hand_over",
        {"recipient_name": "张三", "recipient_id_number": "11010519491231002X"},
    )
    assert response.status_code == 400 and "代领" in response.content.decode()
    response = post(
        client,
        office.delivery,
        app,
        "hand_over",
        {"recipient_name": office.citizen.name, "recipient_id_number": office.citizen.id_number},
    )
    assert response.status_code == 302
    assert fresh(app).state == S.DELIVERED
    assert post(client, office.delivery, app, "archive").status_code == 302
    app = fresh(app)
    assert app.state == S.ARCHIVED
    html = get(client, office.approver, detail(app)).content.decode()
    assert "专家评审" in html and "代领" not in html and "轨迹校验：完整" in html


def test_post_with_a_bad_tracking_number_is_refused_next_to_the_field(office, client):
    app = walk_in(office, delivery_method="post", postal_address="示范市中原路2号").application
    services.review(application=app, by=office.approver)
    services.decide(application=fresh(app), by=office.approver, approved=False, opinion="不符合")
    services.complete(application=fresh(app), by=office.approver)
    response = post(client, office.delivery, app, "post", {"tracking_number": "EA123456784CN"})
    assert response.status_code == 400
    html = response.content.decode()
    form = re.search(r'data-action="post".*?</form>', html, re.S).group(0)
    assert "校验位" in form
    assert post(client, office.delivery, app, "post", {"tracking_number": "EA123456785CN"}).status_code == 302
    assert post(client, office.delivery, app, "confirm_receipt").status_code == 302
    assert fresh(app).state == S.DELIVERED


def test_a_stale_form_is_refused_with_409_and_nothing_saved(office, client):
    app = walk_in(office).application
    old = fresh(app).version
    services.review(application=app, by=office.approver)  # someone else moved it meanwhile
    client.force_login(office.approver)
    response = client.post(act(app, "return_to_window"), {"version": old, "reason": "缺材料"})
    assert response.status_code == 409
    assert STALE in response.content.decode()
    assert fresh(app).state == S.REVIEWING


def test_a_missing_required_input_is_a_400_next_to_the_field(office, client):
    app = walk_in(office).application
    response = post(client, office.approver, app, "return_to_window", {"reason": ""})
    assert response.status_code == 400
    form = re.search(r'data-action="return_to_window".*?</form>', response.content.decode(), re.S).group(0)
    assert "errorlist" in form
    assert fresh(app).state == S.ACCEPTED


def test_an_action_not_allowed_in_the_state_is_a_409(office, client):
    app = walk_in(office).application
    response = post(client, office.approver, app, "decide", {"approved": "yes", "opinion": "同意"})
    assert response.status_code == 409 and "不能作出决定" in response.content.decode()


def test_an_unknown_action_is_a_404_and_get_is_refused(office, client):
    app = walk_in(office).application
    assert post(client, office.clerk, app, "explode").status_code == 404
    client.force_login(office.clerk)
    assert client.get(act(app, "withdraw")).status_code == 405


def test_htmx_action_gets_the_area_with_the_message(office, client):
    app = walk_in(office).application
    response = post(client, office.approver, app, "review", {"note": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="application-detail"') and "已开始审查" in html
    refused = post(
        client,
        office.approver,
        app,
        "decide",
        {"approved": "yes", "opinion": ""},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 400 and "<html" not in refused.content.decode()


def test_return_to_window_and_forward(office, client):
    app = walk_in(office).application
    assert (
        post(client, office.approver, app, "return_to_window", {"reason": "平面图与现场不符"}).status_code
        == 302
    )
    assert fresh(app).state == S.RETURNED
    html = get(client, office.clerk, detail(app)).content.decode()
    assert "平面图与现场不符" in html  # the return's reason is addressed to the window
    assert {"forward", "request_supplement"} <= offered(html)
    assert post(client, office.clerk, app, "forward", {"note": "已核实，无误"}).status_code == 302
    assert fresh(app).state == S.REVIEWING


def test_deferred_material_handed_in_at_the_window(office, client):
    from .conftest import all_received

    marks = [
        *all_received(office)[:2],
        services.MaterialInput(
            office.uses[2].pk, MaterialStatus.DEFERRED, commitment="承诺三日内补交", defer_days=3
        ),
    ]
    app = walk_in(office, materials=marks).application
    deferred = app.materials.get(status=MaterialStatus.DEFERRED)
    html = get(client, office.clerk, detail(app)).content.decode()
    assert "hand_in" in offered(html) and "承诺三日内补交" in html
    response = post(
        client, office.clerk, app, "hand_in", {"material_id": deferred.pk, "originals": 1, "copies": 0}
    )
    assert response.status_code == 302
    deferred.refresh_from_db()
    assert deferred.status == MaterialStatus.RECEIVED and deferred.handed_in_at is not None


def test_immediate_item_decided_at_the_window_by_an_authorised_clerk(office, client):
    WindowAuthorisation.objects.create(
        department=office.department, clerk=office.clerk, valid_from=date(2020, 1, 1)
    )
    app = services.window_intake(
        item=office.immediate_item,
        by=office.clerk,
        applicant=office.citizen,
        contact_name=office.citizen.name,
        contact_phone=office.citizen.phone,
        form_data={},
        materials=[
            services.MaterialInput(office.immediate_item.item_materials.get().pk, "received", originals=1)
        ],
        outcome="accept",
    ).application
    response = post(
        client,
        office.clerk,
        app,
        "decide_at_window",
        {"approved": "yes", "opinion": "当场办结", "result_number": "变更〔2026〕7号"},
    )
    assert response.status_code == 302
    app = fresh(app)
    assert app.state == S.COMPLETED and app.on_the_spot and app.result_number == "变更〔2026〕7号"


def test_refuse_and_withdraw(office, client):
    app = online(office).application
    response = post(client, office.clerk, app, "refuse", {"reason": "不属于本事项受理范围"})
    assert response.status_code == 302
    app = fresh(app)
    assert app.state == S.NOT_ACCEPTED
    assert app.notices.get().data["reason"] == "不属于本事项受理范围"
    other = walk_in(office).application
    assert post(client, office.clerk, other, "withdraw", {"reason": "申请人不再需要"}).status_code == 302
    assert fresh(other).state == S.WITHDRAWN


def test_material_file_download(office, client):
    app = online(office).application
    f = app.materials.order_by("order").first().files.get()
    response = get(client, office.clerk, reverse("applications:file", args=[app.number, f.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    other = online(office).application
    # a file of another application is not reachable through this one
    assert (
        get(client, office.clerk, reverse("applications:file", args=[other.number, f.pk])).status_code == 404
    )
