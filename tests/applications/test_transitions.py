"""Every state × every action × every kind of user: what ``available_actions`` offers is exactly what
the real service lets through, and both are exactly the table written out below (the spec). The
spec is not read from workflow.TABLE, so a change to the table or to a rule that nobody meant shows
up here as a named (situation, user, action).

The applications are built once for the module through the services, inside a transaction that is
rolled back when the module ends; each attempt runs in a savepoint that is rolled back too, so
every attempt sees the application exactly as built."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from tests.factories import UserFactory
from zhengwu.applications import services
from zhengwu.applications.models import (
    Application,
    MaterialStatus,
    SpecialKind,
    WindowAuthorisation,
)
from zhengwu.applications.workflow import TABLE, ApplicationState
from zhengwu.core.errors import Conflict, DomainError, NotAllowed

from .conftest import Office, all_received, make_office, online, pdf, walk_in

pytestmark = pytest.mark.django_db

S = ApplicationState

# The users who try every action. "second_approver" is another approver of the same department
# (the one who may approve a colleague's 延长审批); the last two are staff of the appeals desk.
ACTORS = (
    "clerk",
    "approver",
    "second_approver",
    "other_approver",
    "delivery",
    "leader",
    "applicant",
    "stranger",
    "appeal_handler",
    "appeal_dispatcher",
)

BACK_OFFICE = ("approver", "second_approver")


def _both(*codes: str) -> dict[str, set[str]]:
    return {who: set(codes) for who in BACK_OFFICE}


# situation → state it is in. Several situations share a state where a rule beyond the table
# (a pending 延长审批, 即办件, licence or not, postal address or not) changes what may be done.
SITUATIONS: dict[str, ApplicationState] = {
    "submitted": S.SUBMITTED,
    "supplement_before_acceptance": S.SUPPLEMENT,
    "not_accepted": S.NOT_ACCEPTED,
    "withdrawn": S.WITHDRAWN,
    "accepted": S.ACCEPTED,
    "accepted_immediate": S.ACCEPTED,
    "returned": S.RETURNED,
    "supplement_after_acceptance": S.SUPPLEMENT,
    "reviewing": S.REVIEWING,
    "reviewing_extension_pending": S.REVIEWING,
    "special": S.SPECIAL,
    "special_extension_pending": S.SPECIAL,
    "decided": S.DECIDED,
    "completed_licence": S.COMPLETED,
    "completed_denied": S.COMPLETED,
    "completed_denied_pickup": S.COMPLETED,
    "certified": S.CERTIFIED,
    "posted": S.POSTED,
    "delivered": S.DELIVERED,
    "archived": S.ARCHIVED,
}

# THE SPEC: who may do what in each situation. Anyone not named may do nothing.
SPEC: dict[str, dict[str, set[str]]] = {
    "submitted": {
        "clerk": {"accept", "refuse", "request_supplement", "withdraw"},
        "applicant": {"withdraw"},
    },
    "supplement_before_acceptance": {
        "clerk": {"supply", "withdraw"},
        "applicant": {"supply", "withdraw"},
    },
    "not_accepted": {"delivery": {"archive"}},
    "withdrawn": {"delivery": {"archive"}},
    # walk-in with a 容缺 material still to come: the window may take it in
    "accepted": {
        "clerk": {"hand_in", "withdraw"},
        **_both("review", "return_to_window"),
        "applicant": {"withdraw"},
    },
    # 即办件, the clerk holds the department's 首席代表授权; nothing 容缺
    "accepted_immediate": {
        "clerk": {"decide_at_window", "withdraw"},
        **_both("review", "return_to_window"),
        "applicant": {"withdraw"},
    },
    "returned": {
        "clerk": {"request_supplement", "hand_in", "forward", "withdraw"},
        "applicant": {"withdraw"},
    },
    "supplement_after_acceptance": {
        "clerk": {"supply", "withdraw"},
        "applicant": {"supply", "withdraw"},
    },
    "reviewing": {
        "clerk": {"hand_in", "withdraw"},
        **_both("return_to_window", "start_special", "request_extension", "decide"),
        "applicant": {"withdraw"},
    },
    # "approver" asked for the extension: only the other approver may decide it, no second request
    "reviewing_extension_pending": {
        "clerk": {"hand_in", "withdraw"},
        "approver": {"return_to_window", "start_special", "decide"},
        "second_approver": {"return_to_window", "start_special", "decide", "decide_extension"},
        "applicant": {"withdraw"},
    },
    "special": {
        "clerk": {"hand_in", "withdraw"},
        **_both("end_special", "request_extension"),
        "applicant": {"withdraw"},
    },
    "special_extension_pending": {
        "clerk": {"hand_in", "withdraw"},
        "approver": {"end_special"},
        "second_approver": {"end_special", "decide_extension"},
        "applicant": {"withdraw"},
    },
    "decided": {"clerk": {"hand_in"}, **_both("complete")},
    # approved and the item's result is a licence: 制证 first, no 出件 yet
    "completed_licence": _both("certify"),
    "completed_denied": {"delivery": {"hand_over", "post"}},
    "completed_denied_pickup": {"delivery": {"hand_over"}},
    "certified": {"delivery": {"hand_over", "post"}},
    "posted": {"delivery": {"confirm_receipt"}},
    "delivered": {"delivery": {"archive"}},
    "archived": {},
}

POSTAL = {"delivery_method": "post", "postal_address": "示范市中原路2号"}


def _walk_in_deferred(o: Office, *, postal: bool = True) -> Application:
    """Walk-in, accepted with the floor plan 容缺 (three working days to hand it in)."""
    marks = all_received(o)
    marks[2] = services.MaterialInput(
        o.uses[2].pk, MaterialStatus.DEFERRED, commitment="三个工作日内补交", defer_days=3
    )
    return walk_in(o, materials=marks, **(POSTAL if postal else {})).application


def _material(app: Application, order: int) -> int:
    """The pk of the application's material at ``order`` (its last one when it has fewer)."""
    pks = list(app.materials.order_by("order").values_list("pk", flat=True))
    return pks[min(order, len(pks) - 1)]


def reach(o: Office, situation: str) -> Application:
    """An application in ``situation``, brought there through the services as people would."""
    if situation == "accepted_immediate":
        return services.window_intake(
            item=o.immediate_item,
            by=o.clerk,
            applicant=o.citizen,
            contact_name=o.citizen.name,
            contact_phone=o.citizen.phone,
            form_data={},
            materials=[
                services.MaterialInput(
                    o.immediate_item.item_materials.get().pk, MaterialStatus.RECEIVED, originals=1
                )
            ],
            outcome="accept",
        ).application
    if situation in ("submitted", "supplement_before_acceptance", "not_accepted", "withdrawn"):
        app = online(o).application
        if situation == "supplement_before_acceptance":
            services.request_supplement(
                application=app, by=o.clerk, items=[{"material_id": _material(app, 1), "reason": "未签字"}]
            )
        elif situation == "not_accepted":
            services.refuse(application=app, by=o.clerk, reason="不属于本事项受理范围")
        elif situation == "withdrawn":
            services.withdraw(application=app, by=o.citizen_user, reason="不再需要")
        return app
    app = _walk_in_deferred(o, postal=situation != "completed_denied_pickup")
    if situation == "accepted":
        return app
    if situation in ("returned", "supplement_after_acceptance"):
        services.return_to_window(application=app, by=o.approver, reason="平面图需补正")
        if situation == "supplement_after_acceptance":
            services.request_supplement(
                application=app, by=o.clerk, items=[{"material_id": _material(app, 1), "reason": "未签字"}]
            )
        return app
    services.review(application=app, by=o.approver)
    if situation.startswith("special"):
        services.start_special(application=app, by=o.approver, kind=SpecialKind.EXPERT, reason="需专家评审")
    if situation.endswith("extension_pending"):
        services.request_extension(application=app, by=o.approver, days=5, reason="情况复杂")
    if situation.startswith(("reviewing", "special")):
        return app
    denied = situation.startswith("completed_denied")
    services.decide(application=app, by=o.approver, approved=not denied, opinion="经审查作出决定")
    if situation == "decided":
        return app
    services.complete(application=app, by=o.approver, result_number="市监〔2026〕1号")
    if situation.startswith("completed"):
        return app
    services.certify(application=app, by=o.approver, licence_number="JY14101000000001")
    if situation == "certified":
        return app
    services.post(application=app, by=o.delivery, tracking_number="EA123456785CN")
    if situation == "posted":
        return app
    services.confirm_receipt(application=app, by=o.delivery)
    if situation == "delivered":
        return app
    services.archive(application=app, by=o.delivery)
    assert situation == "archived"
    return app


# Each action called with valid inputs; only the state, the user and the action's own rules decide.
def _deferred_or_any(app: Application) -> int:
    m = app.materials.filter(status=MaterialStatus.DEFERRED).first() or app.materials.first()
    assert m is not None
    return m.pk


def _named_uploads(app: Application) -> dict[int, list[Any]]:
    request = app.supplement_requests.filter(supplied_at__isnull=True).first()
    return {i["material_id"]: [pdf()] for i in (request.items if request else [])}


CALLS: dict[str, Callable[[Application, Any, Office], Any]] = {
    "accept": lambda a, by, o: services.accept(application=a, by=by),
    "refuse": lambda a, by, o: services.refuse(application=a, by=by, reason="材料不属实"),
    "request_supplement": lambda a, by, o: services.request_supplement(
        application=a, by=by, items=[{"material_id": _material(a, 2), "reason": "平面图不清晰"}]
    ),
    "supply": lambda a, by, o: services.supply(application=a, by=by, uploads=_named_uploads(a)),
    "decide_at_window": lambda a, by, o: services.decide_at_window(
        application=a, by=by, approved=True, opinion="符合条件", result_number="变2026-1"
    ),
    "hand_in": lambda a, by, o: services.hand_in(application=a, by=by, material_id=_deferred_or_any(a)),
    "forward": lambda a, by, o: services.forward(application=a, by=by, note="已说明情况"),
    "review": lambda a, by, o: services.review(application=a, by=by),
    "return_to_window": lambda a, by, o: services.return_to_window(application=a, by=by, reason="需补正"),
    "start_special": lambda a, by, o: services.start_special(
        application=a, by=by, kind=SpecialKind.HEARING, reason="需听证"
    ),
    "end_special": lambda a, by, o: services.end_special(application=a, by=by, result="评审通过"),
    "request_extension": lambda a, by, o: services.request_extension(
        application=a, by=by, days=3, reason="需现场核查"
    ),
    "decide_extension": lambda a, by, o: services.decide_extension(application=a, by=by, approve=True),
    "decide": lambda a, by, o: services.decide(application=a, by=by, approved=True, opinion="准予许可"),
    "complete": lambda a, by, o: services.complete(application=a, by=by, result_number="市监〔2026〕2号"),
    "certify": lambda a, by, o: services.certify(application=a, by=by, licence_number="JY14101000000002"),
    "hand_over": lambda a, by, o: services.hand_over(
        application=a, by=by, recipient_name=o.citizen.name, recipient_id_number=o.citizen.id_number
    ),
    "post": lambda a, by, o: services.post(application=a, by=by, tracking_number="EA123456785CN"),
    "confirm_receipt": lambda a, by, o: services.confirm_receipt(application=a, by=by),
    "archive": lambda a, by, o: services.archive(application=a, by=by),
    "withdraw": lambda a, by, o: services.withdraw(application=a, by=by, reason="不再需要"),
}


@dataclass
class World:
    office: Office
    users: dict[str, Any]
    apps: dict[str, int]  # situation → application pk


class _Undo(Exception):
    """Raised after a successful attempt so that its savepoint rolls back."""


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            o = make_office(username_prefix="t-")
            WindowAuthorisation.objects.create(
                department=o.department, clerk=o.clerk, valid_from="2026-01-01"
            )
            users = {
                "clerk": o.clerk,
                "approver": o.approver,
                "second_approver": o.second_approver,
                "other_approver": o.other_approver,
                "delivery": o.delivery,
                "leader": o.leader,
                "applicant": o.citizen_user,
                "stranger": o.stranger_user,
                # the appeals desk's staff, one of them in the application's own department
                "appeal_handler": UserFactory(roles=["handler"], department=o.department, name="承办甲"),
                "appeal_dispatcher": UserFactory(roles=["dispatcher"], name="派单乙"),
            }
            apps = {name: reach(o, name).pk for name in SITUATIONS}
        yield World(o, users, apps)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        media.disable()


def attempt(code: str, pk: int, by: Any, o: Office) -> DomainError | None:
    """Call the service for real; None when it went through (then undone), else the refusal."""
    try:
        with transaction.atomic():
            app = Application.objects.get(pk=pk)
            CALLS[code](app, by, o)
            after = Application.objects.get(pk=pk)
            last = after.events.order_by("-seq").first()
            assert last is not None and last.action == code, f"{code} recorded no step of its own"
            assert after.state in TABLE.allowed_from(code, app.state)
            raise _Undo
    except _Undo:
        return None
    except DomainError as refusal:
        return refusal


def test_the_spec_covers_every_state_action_and_user():
    assert set(SITUATIONS.values()) == set(S), "a state with no situation is never tried"
    assert set(SPEC) == set(SITUATIONS)
    assert set(CALLS) == {a.code for a in TABLE}, "an action with no call here is never tried"
    allowed = {code for rows in SPEC.values() for codes in rows.values() for code in codes}
    assert allowed == set(CALLS), "every action is allowed somewhere"
    assert {who for rows in SPEC.values() for who in rows} <= set(ACTORS)


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_offered_actions_are_exactly_those_the_services_allow(world, situation):
    pk = world.apps[situation]
    app = Application.objects.get(pk=pk)
    assert app.state == SITUATIONS[situation]
    wrong: list[str] = []
    for who in ACTORS:
        user = world.users[who]
        expected = SPEC[situation].get(who, set())
        offered = {a.code for a in services.available_actions(Application.objects.get(pk=pk), user)}
        if offered != expected:
            wrong.append(f"{who}: offered {sorted(offered)}, spec {sorted(expected)}")
        for code in CALLS:
            refusal = attempt(code, pk, user, world.office)
            if refusal is None and code not in expected:
                wrong.append(f"{who} {code}: went through, the spec refuses it")
            elif refusal is not None and code in expected:
                wrong.append(f"{who} {code}: refused ({type(refusal).__name__} {refusal.message})")
            elif refusal is not None and not isinstance(refusal, (NotAllowed, Conflict)):
                wrong.append(f"{who} {code}: refused for its input, not its state or user: {refusal.message}")
    assert not wrong, f"{situation}:\n" + "\n".join(wrong)
    after = Application.objects.get(pk=pk)
    assert (after.state, after.version) == (app.state, app.version), "an attempt was not undone"


def test_wrong_state_is_a_409_naming_the_state(world):
    refusal = attempt("decide", world.apps["accepted"], world.users["approver"], world.office)
    assert isinstance(refusal, Conflict) and refusal.status == 409 and refusal.field == "state"
    assert refusal.message == "当前状态为“已受理待审查”，不能作出决定"


def test_wrong_user_is_a_403(world):
    refusal = attempt("review", world.apps["accepted"], world.users["other_approver"], world.office)
    assert isinstance(refusal, NotAllowed) and refusal.status == 403
    assert refusal.message == "只有承办部门本部门人员才能开始审查"
    refusal = attempt("withdraw", world.apps["submitted"], world.users["stranger"], world.office)
    assert isinstance(refusal, NotAllowed) and refusal.message == "只有申请人本人才能撤回申请"
    refusal = attempt("accept", world.apps["submitted"], world.users["applicant"], world.office)
    assert isinstance(refusal, NotAllowed) and refusal.message == "申请人不能受理"
