"""Random sequences of desk actions through the real services, checking after every step:

- an appeal's state is always one of AppealState;
- at most one open lead assignment per appeal;
- an appeal's due_at (and an assignment's handling deadline) moves only on dispatch, re-dispatch of
  the lead, an approved extension of the lead, or a reopening after an unhappy callback;
- every appeal's events are numbered 1..n and their hash chain verifies;
- a refused action (Conflict / NotAllowed / DomainError) changes nothing at all.

Each example runs inside a savepoint that is rolled back afterwards, so examples never see each
other's appeals; the desk's users are made once for the whole run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Count
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    invariant,
    precondition,
    rule,
)

from tests.stateful import RolledBack, run_machine
from zhengwu.appeals import events, services
from zhengwu.appeals.models import (
    OPEN_ASSIGNMENT_STATES,
    Appeal,
    AppealType,
    Assignment,
    Extension,
    HandlingMode,
    Urgency,
)
from zhengwu.appeals.workflow import AppealState
from zhengwu.core.errors import DomainError

ROLES = st.sampled_from(["lead", "co"])
PICK = st.integers(min_value=0, max_value=3)
DEPT = st.sampled_from(["lead_dept", "co_dept", "other_dept"])
ON_ASSIGNMENT = {"role": ROLES, "pick": PICK}
# Each action the machine may try at random, with strategies for its arguments.
RANDOM_ACTIONS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "triage": {
        "mode": st.sampled_from([HandlingMode.DISPATCH, HandlingMode.ASSIST, HandlingMode.DISCIPLINE])
    },
    "answer": {},
    "merge": {},
    "dispatch": {"lead": DEPT, "co": st.lists(DEPT, max_size=2)},
    "sign": {**ON_ASSIGNMENT, "own": st.booleans()},
    "return": {**ON_ASSIGNMENT, "own": st.booleans()},
    "redispatch": {**ON_ASSIGNMENT, "to": DEPT},
    "reject_return": ON_ASSIGNMENT,
    "request_extension": {
        **ON_ASSIGNMENT,
        "days": st.integers(min_value=-2, max_value=20),
        "own": st.booleans(),
    },
    "decide_extension": {"approve": st.booleans()},
    "contribution": {"pick": PICK},
    "note": {},
    "reply": {},
    "approve": {},
    "rework": {},
    "callback": {"outcome": st.sampled_from(["satisfied", "unhappy", "unreached"])},
    "close": {},
    "archive": {},
    "supervise": {"dept": DEPT},
    "stale_dispatch": {},
}


def snapshot(pk: int) -> tuple[Any, ...]:
    """Everything an action could change about one appeal (three queries)."""
    appeal = (
        Appeal.objects.filter(pk=pk)
        .annotate(
            n_events=Count("events", distinct=True),
            n_callbacks=Count("callbacks", distinct=True),
            n_orders=Count("supervisions", distinct=True),
        )
        .values_list(
            "state",
            "version",
            "due_at",
            "reply",
            "category_id",
            "merged_into_id",
            "reopen_count",
            "red_listed",
            "n_events",
            "n_callbacks",
            "n_orders",
        )
        .get()
    )
    assignments = tuple(
        Assignment.objects.filter(appeal_id=pk)
        .order_by("id")
        .values_list("id", "state", "sign_due_at", "handle_due_at", "contribution")
    )
    extensions = tuple(
        Extension.objects.filter(assignment__appeal_id=pk).order_by("id").values_list("id", "state")
    )
    return appeal, assignments, extensions


class AppealDesk(RolledBack):
    desk: Any = None  # set by the test: the desk fixture, made once

    appeals = Bundle("appeals")

    def __init__(self) -> None:
        super().__init__()
        self.due: dict[int, Any] = {}  # appeal pk → due_at last seen
        self.handle_due: dict[int, Any] = {}  # assignment pk → handle_due_at last seen
        self.may_move: set[int] = set()  # appeals whose deadlines the last step may move
        self.keys = 0

    # -- helpers ---------------------------------------------------------------------------------

    def attempt(self, pks: list[int], action: Any, *, moves_due: bool = False) -> bool:
        before = {pk: snapshot(pk) for pk in pks}
        try:
            action()
        except DomainError:
            for pk in pks:
                assert snapshot(pk) == before[pk], "a refused action changed the appeal"
            return False
        if moves_due:
            self.may_move.add(pks[0])
        return True

    def assignment(self, pk: int, role: str, pick: int) -> Assignment | None:
        rows = list(
            Assignment.objects.filter(appeal_id=pk, role=role).select_related("appeal").order_by("id")
        )
        return rows[pick % len(rows)] if rows else None

    def handler(self, assignment: Assignment, own: bool) -> Any:
        by_dept = {
            self.desk.lead_dept.pk: self.desk.lead_handler,
            self.desk.co_dept.pk: self.desk.co_handler,
            self.desk.other_dept.pk: self.desk.other_handler,
        }
        if own:
            return by_dept[assignment.department_id]
        return next(h for d, h in by_dept.items() if d != assignment.department_id)

    def appeal(self, pk: int) -> Appeal:
        return Appeal.objects.get(pk=pk)

    # -- intake, triage ----------------------------------------------------------------------------

    @precondition(lambda self: len(self.due) < 2)  # two appeals taken far beat many left new
    @rule(
        target=appeals,
        kind=st.sampled_from(AppealType.values),
        urgency=st.sampled_from(Urgency.values),
        anonymous=st.booleans(),
    )
    def register(self, kind: str, urgency: str, anonymous: bool) -> int:
        anonymous = anonymous and kind == AppealType.REPORT
        self.keys += 1
        values = {
            "channel": "hotline",
            "appeal_type": kind,
            "urgency": urgency,
            "title": "小区门口道路破损",
            "body": "道路破损，请修复。",
            "contact_phone": "" if anonymous else "13800000001",
            "anonymous": anonymous,
            "by": self.desk.operator,
            "idempotency_key": f"machine-{self.keys}",
        }
        appeal, code = services.register_appeal(**values)
        again, none = services.register_appeal(**values)  # the channel retries
        assert again.pk == appeal.pk and code and none is None
        self.due[appeal.pk] = appeal.due_at
        return appeal.pk

    def do_triage(self, pk: int, mode: str) -> None:
        self.attempt(
            [pk],
            lambda: services.triage(
                appeal=self.appeal(pk),
                category=self.desk.category,
                handling_mode=mode,
                by=self.desk.dispatcher,
            ),
        )

    def do_answer(self, pk: int) -> None:
        self.attempt(
            [pk],
            lambda: services.answer_directly(
                appeal=self.appeal(pk), answer="请携带身份证办理。", by=self.desk.operator
            ),
        )

    def do_merge(self, pk: int, into: int) -> None:
        pks = [pk] if pk == into else [pk, into]
        self.attempt(
            pks, lambda: services.merge(appeal=self.appeal(pk), into=self.appeal(into), by=self.desk.operator)
        )

    # -- dispatch and the departments' answers -----------------------------------------------------

    def do_dispatch(self, pk: int, lead: str, co: list[str]) -> None:
        self.attempt(
            [pk],
            lambda: services.dispatch(
                appeal=self.appeal(pk),
                lead=getattr(self.desk, lead),
                co_handlers=[getattr(self.desk, c) for c in co],
                by=self.desk.dispatcher,
            ),
            moves_due=True,
        )

    def do_sign(self, pk: int, role: str, pick: int, own: bool) -> None:
        a = self.assignment(pk, role, pick)
        if a is not None:
            self.attempt([pk], lambda: services.sign(assignment=a, by=self.handler(a, own)))

    def do_return(self, pk: int, role: str, pick: int, own: bool) -> None:
        a = self.assignment(pk, role, pick)
        if a is not None:
            self.attempt(
                [pk],
                lambda: services.return_assignment(
                    assignment=a, reason="非本部门职责", by=self.handler(a, own)
                ),
            )

    def do_redispatch(self, pk: int, role: str, pick: int, to: str) -> None:
        a = self.assignment(pk, role, pick)
        if a is not None:
            self.attempt(
                [pk],
                lambda: services.redispatch(assignment=a, to=getattr(self.desk, to), by=self.desk.dispatcher),
                moves_due=role == "lead",
            )

    def do_reject_return(self, pk: int, role: str, pick: int) -> None:
        a = self.assignment(pk, role, pick)
        if a is not None:
            self.attempt(
                [pk],
                lambda: services.reject_return(assignment=a, note="属于贵单位职责", by=self.desk.dispatcher),
            )

    def do_request_extension(self, pk: int, role: str, pick: int, days: int, own: bool) -> None:
        a = self.assignment(pk, role, pick)
        if a is not None:
            until = a.handle_due_at + timedelta(days=days)
            self.attempt(
                [pk],
                lambda: services.request_extension(
                    assignment=a, reason="需要协调", until=until, by=self.handler(a, own)
                ),
            )

    def do_decide_extension(self, pk: int, approve: bool) -> None:
        ext = (
            Extension.objects.filter(assignment__appeal_id=pk)
            .select_related("assignment__appeal")
            .order_by("state", "-id")  # a pending one first when there is one
            .first()
        )
        if ext is not None:
            self.attempt(
                [pk],
                lambda: services.decide_extension(
                    extension=ext, approve=approve, note="", by=self.desk.dispatcher
                ),
                moves_due=approve and ext.assignment.role == Assignment.Role.LEAD,
            )

    def do_contribution(self, pk: int, pick: int) -> None:
        a = self.assignment(pk, "co", pick)
        if a is not None:
            self.attempt(
                [pk],
                lambda: services.submit_contribution(
                    assignment=a, text="已配合处理。", by=self.handler(a, True)
                ),
            )

    def do_note(self, pk: int) -> None:
        self.attempt(
            [pk],
            lambda: services.add_note(appeal=self.appeal(pk), text="已现场查看。", by=self.desk.lead_handler),
        )

    def do_reply(self, pk: int) -> None:
        self.attempt(
            [pk],
            lambda: services.submit_reply(
                appeal=self.appeal(pk), text="已处理完毕。", by=self.desk.lead_handler
            ),
        )

    # -- the dispatcher, callback, closure ---------------------------------------------------------

    def do_approve(self, pk: int) -> None:
        self.attempt([pk], lambda: services.approve_reply(appeal=self.appeal(pk), by=self.desk.dispatcher))

    def do_rework(self, pk: int) -> None:
        self.attempt(
            [pk],
            lambda: services.rework_reply(appeal=self.appeal(pk), note="答复不完整", by=self.desk.dispatcher),
        )

    def do_callback(self, pk: int, outcome: str) -> None:
        answers: dict[str, Any] = {
            "satisfied": {"reached": True, "solved": "solved", "satisfaction": 1},
            "unhappy": {"reached": True, "solved": "not_solved", "satisfaction": 5},
            "unreached": {"reached": False},
        }[outcome]
        self.attempt(
            [pk],
            lambda: services.record_callback(appeal=self.appeal(pk), by=self.desk.callback, **answers),
            moves_due=outcome == "unhappy",
        )

    def do_close(self, pk: int) -> None:
        self.attempt(
            [pk], lambda: services.close(appeal=self.appeal(pk), note="多次未联系上", by=self.desk.callback)
        )

    def do_archive(self, pk: int) -> None:
        self.attempt([pk], lambda: services.archive(appeal=self.appeal(pk), by=self.desk.dispatcher))

    def do_supervise(self, pk: int, dept: str) -> None:
        self.attempt(
            [pk],
            lambda: services.supervise(
                appeal=self.appeal(pk),
                department=getattr(self.desk, dept),
                note="请加快办理",
                days=2,
                by=self.desk.supervisor,
            ),
        )

    def do_stale_dispatch(self, pk: int) -> None:
        """Someone else changed the appeal since it was read: refused, nothing changes."""
        appeal = self.appeal(pk)
        self.attempt(
            [pk],
            lambda: services.dispatch(
                appeal=appeal, lead=self.desk.lead_dept, by=self.desk.dispatcher, version=appeal.version - 1
            ),
        )

    @rule(pk=appeals, choice=st.integers(min_value=0, max_value=3))
    def progress(self, pk: int, choice: int) -> None:
        """The next step a busy desk would take, so that random runs reach the late states too."""
        appeal, desk = self.appeal(pk), self.desk
        state = AppealState(appeal.state)
        if state == AppealState.REGISTERED:
            self.do_triage(pk, HandlingMode.DISPATCH)
        elif state == AppealState.TRIAGED:
            co = [["co_dept"], [], ["co_dept", "other_dept"], ["other_dept"]][choice]
            self.do_dispatch(pk, "lead_dept" if choice != 3 else "co_dept", co)
        elif state == AppealState.RETURNED:
            lead = desk.lead(appeal)
            if choice % 2:
                self.do_reject_return(pk, "lead", 0)
            else:
                to = next(n for n in ("other_dept", "co_dept") if getattr(desk, n).pk != lead.department_id)
                self.attempt(
                    [pk],
                    lambda: services.redispatch(assignment=lead, to=getattr(desk, to), by=desk.dispatcher),
                    moves_due=True,
                )
        elif state in (AppealState.DISPATCHED, AppealState.IN_PROGRESS):
            pending = appeal.assignments.filter(state="pending").order_by("role", "id").first()
            lead = appeal.assignments.filter(role="lead", state="signed").first()
            if pending is not None and (choice != 3 or lead is None):
                if choice == 2:
                    self.do_return(pk, pending.role, 0, True)
                else:
                    self.attempt(
                        [pk], lambda: services.sign(assignment=pending, by=self.handler(pending, True))
                    )
            elif lead is not None and lead.extensions.filter(state="pending").exists():
                self.do_decide_extension(pk, choice != 0)
            elif lead is not None and choice == 1:
                self.attempt(
                    [pk],
                    lambda: services.request_extension(
                        assignment=lead,
                        reason="需要协调",
                        until=lead.handle_due_at + timedelta(days=7),
                        by=desk.lead_handler,
                    ),
                )
            else:
                self.do_reply(pk)
        elif state == AppealState.REPLY_REVIEW:
            (self.do_rework if choice == 0 else self.do_approve)(pk)
        elif state == AppealState.REPLIED:
            self.do_callback(pk, ["unhappy", "satisfied", "satisfied", "unreached"][choice])
        elif state == AppealState.CLOSED:
            self.do_archive(pk)

    @rule(pk=appeals, choice=st.integers(min_value=0, max_value=3))
    def progress_further(self, pk: int, choice: int) -> None:
        """Hypothesis picks rules evenly: a second name for the walk makes it half of the steps."""
        self.progress(pk, choice)

    @rule(pk=appeals, data=st.data())
    def act(self, pk: int, data: st.DataObject) -> None:
        """Any action, with any arguments, whether the state allows it or not."""
        name = data.draw(st.sampled_from(sorted(RANDOM_ACTIONS)), label="action")
        args = {key: data.draw(strategy, label=key) for key, strategy in RANDOM_ACTIONS[name].items()}
        if name == "merge":
            args["into"] = data.draw(st.sampled_from(sorted(self.due)), label="into")
        getattr(self, f"do_{name}")(pk, **args)

    # -- invariants ----------------------------------------------------------------------------------

    @invariant()
    def deadlines_move_only_when_allowed(self) -> None:
        for pk, state, due in Appeal.objects.filter(pk__in=self.due).values_list("pk", "state", "due_at"):
            assert state in AppealState.values
            if pk not in self.may_move:
                assert due == self.due[pk], f"due_at of {pk} moved without dispatch, extension or reopen"
            self.due[pk] = due
        rows = Assignment.objects.filter(appeal_id__in=self.due).values_list(
            "pk", "appeal_id", "handle_due_at"
        )
        for pk, appeal_id, handle_due in rows:
            if pk in self.handle_due and appeal_id not in self.may_move:
                assert handle_due == self.handle_due[pk], f"assignment {pk}'s deadline moved"
            self.handle_due[pk] = handle_due
        self.may_move.clear()

    @invariant()
    def one_open_lead(self) -> None:
        doubled = (
            Assignment.objects.filter(appeal_id__in=self.due, role="lead", state__in=OPEN_ASSIGNMENT_STATES)
            .values("appeal_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not doubled.exists()

    @invariant()
    def every_chain_verifies(self) -> None:
        for appeal in Appeal.objects.filter(pk__in=self.due):
            # verify_chain also checks that the events are numbered 1..n with no gap
            assert events.verify_chain(appeal) is None, f"the event chain of {appeal.number} is broken"


@pytest.mark.django_db
def test_random_action_sequences_keep_the_invariants(desk):
    AppealDesk.desk = desk
    try:
        run_machine(AppealDesk, max_examples=25, steps=20)
    finally:
        AppealDesk.desk = None
