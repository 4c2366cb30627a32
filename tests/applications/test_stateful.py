"""Random sequences of application (办件) actions through the real services — by random users, with
random inputs, valid or not, on one or two applications, the clock moved on by random working hours
between steps — checking after every step:

- each application's hash chain and row seal verify, and every step in it is a move the table allows;
- the clock stands still exactly during 补正 and 特别程序 after acceptance (``paused_since`` is set
  then and only then), with at most one open pause;
- the stored 承诺办结时间 is the one formula: the limit from acceptance, without the closed pauses;
- the limit is the item's promised limit plus the approved 延长审批 days;
- due_at and limit_days move only at acceptance, when a pause ends, or on an approved 延长审批;
- a refused call changes nothing at all (row, history, pauses, procedures, materials, files).

Each example runs inside a savepoint that is rolled back afterwards, with the clock held still and
moved only by the ``wait`` rule."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Q
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    invariant,
    precondition,
    rule,
)

from tests.factories import make_id_number
from tests.stateful import RolledBack, run_machine
from zhengwu.applications import services
from zhengwu.applications.models import (
    Application,
    ClockPause,
    Delivery,
    MaterialFile,
    MaterialStatus,
    SpecialKind,
    SpecialProcedure,
)
from zhengwu.applications.workflow import PAUSED_STATES, TABLE, ApplicationState
from zhengwu.calendar.selectors import get_calendar
from zhengwu.calendar.workdays import Limit
from zhengwu.casework.deadlines import due_after_pauses
from zhengwu.core.errors import DomainError

from .conftest import FORM, all_received, pdf, walk_in

S = ApplicationState
EXE = b"MZ\x90\x00" + b"\x00" * 60

USERS = (
    "clerk",
    "approver",
    "second_approver",
    "other_approver",
    "delivery",
    "leader",
    "applicant",
    "stranger",
)
TEXT = st.sampled_from(["已核实", "", "   ", "理" * 1001])
HOURS = st.integers(min_value=0, max_value=8)  # working hours that pass before a step
VERSION = st.sampled_from(["none", "none", "current", "stale"])
# Each action the machine may try, with strategies for its inputs (good and bad).
ARGS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "accept": {"marks": st.sampled_from(["none", "all", "missing", "critical_deferred", "deferred"])},
    "refuse": {"reason": TEXT},
    "request_supplement": {"which": st.sampled_from(["new", "repeat", "empty", "foreign", "twice"])},
    "supply": {"how": st.sampled_from(["all", "all", "part", "exe", "stray"])},
    "decide_at_window": {"opinion": TEXT},
    "hand_in": {"which": st.sampled_from(["deferred", "received", "foreign"]), "copies": st.integers(-1, 2)},
    "forward": {"note": TEXT},
    "review": {},
    "return_to_window": {"reason": TEXT},
    "start_special": {"kind": st.sampled_from(["expert", "hearing", "extension", "bogus"]), "reason": TEXT},
    "end_special": {"result": TEXT},
    "request_extension": {"days": st.sampled_from([3, "0.5", 0, -2, 21, "三天"]), "reason": TEXT},
    "decide_extension": {"approve": st.booleans()},
    "decide": {"approved": st.booleans(), "opinion": TEXT},
    "complete": {},
    "certify": {"number": st.sampled_from(["JY14101000000001", ""])},
    "hand_over": {"recipient": st.sampled_from(["own", "bad", "other"]), "proxy": st.booleans()},
    "post": {"tracking": st.sampled_from(["EA123456785CN", "EA123456784CN", "E1123456785CN", ""])},
    "confirm_receipt": {},
    "archive": {},
    "withdraw": {"reason": TEXT},
}
# Successful actions after which the stored deadline may differ: the clock starts, a pause ends,
# the limit grows.
RESUMING = {"supply", "end_special", "withdraw"}


def bad_id(valid: str) -> str:
    return valid[:-1] + ("1" if valid[-1] != "1" else "2")


def snapshot(pk: int, media: Path) -> tuple[Any, ...]:
    """Everything a call could change about one application."""
    row = (
        Application.objects.filter(pk=pk)
        .annotate(
            n_events=Count("events", distinct=True),
            n_notices=Count("notices", distinct=True),
            n_requests=Count("supplement_requests", distinct=True),
            n_supplied=Count(
                "supplement_requests", filter=Q(supplement_requests__supplied_at__isnull=False), distinct=True
            ),
            n_pauses=Count("pauses", distinct=True),
            n_open=Count("pauses", filter=Q(pauses__ended_at__isnull=True), distinct=True),
        )
        .values_list(
            "state",
            "version",
            "chain_length",
            "chain_head",
            "due_at",
            "limit_days",
            "paused_since",
            "supplement_rounds",
            "deferred_overdue",
            "decision",
            "result_number",
            "closed_at",
            "n_events",
            "n_notices",
            "n_requests",
            "n_supplied",
            "n_pauses",
            "n_open",
        )
        .get()
    )
    procedures = tuple(
        SpecialProcedure.objects.filter(application_id=pk)
        .order_by("id")
        .values_list("id", "approval", "ended_at")
    )
    materials = tuple(
        Application.objects.get(pk=pk).materials.order_by("id").values_list("id", "status", "handed_in_at")
    )
    files = MaterialFile.objects.filter(material__application_id=pk).count()
    delivery = tuple(
        Delivery.objects.filter(application_id=pk).values_list("method", "tracking_number", "received_on")
    )
    on_disk = sum(1 for p in media.rglob("*") if p.is_file())
    return row, procedures, materials, files, delivery, on_disk


class Office(RolledBack):
    office: Any = None  # set by the test: the office fixture
    media: Path | None = None

    applications = Bundle("applications")

    def __init__(self) -> None:
        super().__init__()
        self.now: datetime = timezone.now()
        self._clock = time_machine.travel(self.now, tick=False)
        self._clock.start()
        self.seen: dict[int, tuple[Any, Any]] = {}  # pk → (due_at, limit_days) after the last step
        self.may_move: set[int] = set()  # pks whose deadline the last step may move
        self.events_seen: dict[int, int] = {}  # pk → events already checked against the table
        self.keys = 0
        o = self.office
        self.users = {
            "clerk": o.clerk,
            "approver": o.approver,
            "second_approver": o.second_approver,
            "other_approver": o.other_approver,
            "delivery": o.delivery,
            "leader": o.leader,
            "applicant": o.citizen_user,
            "stranger": o.stranger_user,
        }

    def teardown(self) -> None:
        self._clock.stop()
        super().teardown()

    # -- helpers -------------------------------------------------------------------------------------

    def app(self, pk: int) -> Application:
        return Application.objects.select_related("item").get(pk=pk)

    def attempt(self, pk: int, code: str, call: Any) -> bool:
        """Run ``call``; a refusal must leave everything as it was."""
        assert self.media is not None
        before = snapshot(pk, self.media)
        was = self.app(pk)
        try:
            result = call()
        except DomainError:
            assert snapshot(pk, self.media) == before, f"a refused {code} changed the application"
            return False
        if code == "accept" or (code in RESUMING and was.paused_since is not None):
            self.may_move.add(pk)
        if code == "decide_extension" and result.approval == SpecialProcedure.Approval.APPROVED:
            self.may_move.add(pk)
        return True

    def version(self, app: Application, how: str) -> int | None:
        return {"none": None, "current": app.version, "stale": app.version - 1}[how]

    def material(self, app: Application, n: int) -> int:
        pks = list(app.materials.order_by("order").values_list("pk", flat=True))
        return pks[n % len(pks)]

    # -- creating applications ------------------------------------------------------------------------

    def _track(self, app: Application) -> int:
        self.seen[app.pk] = (app.due_at, app.limit_days)
        self.events_seen[app.pk] = 0
        self.may_move.add(app.pk)
        return app.pk

    @precondition(lambda self: len(self.seen) < 2)
    @rule(target=applications, online=st.booleans(), deferred=st.booleans(), postal=st.booleans())
    def intake(self, online: bool, deferred: bool, postal: bool) -> int:
        o = self.office
        self.keys += 1
        where = {"delivery_method": "post", "postal_address": "示范市中原路2号"} if postal else {}
        common = {
            "item": o.item,
            "applicant": o.citizen,
            "contact_name": o.citizen.name,
            "contact_phone": o.citizen.phone,
            "form_data": FORM,
            "idempotency_key": f"machine-{self.keys}",
            **where,
        }
        if online:
            uploads = {u.pk: [pdf()] for u in o.uses[:3]}
            intake = services.apply_online(by=o.citizen_user, uploads=uploads, **common)
        else:
            marks = all_received(o)
            if deferred:
                marks[2] = services.MaterialInput(
                    o.uses[2].pk, MaterialStatus.DEFERRED, commitment="三个工作日内补交", defer_days=3
                )
            intake = services.window_intake(by=o.clerk, materials=marks, outcome="accept", **common)
        return self._track(intake.application)

    # -- one action, any user, any input --------------------------------------------------------------

    def do(self, pk: int, code: str, who: str, args: dict[str, Any], how: str = "none") -> bool:
        o, app, by = self.office, self.app(pk), self.users[who]
        v = self.version(app, how)
        calls = {
            "accept": lambda: services.accept(
                application=app, by=by, materials=self._marks(args["marks"]), version=v
            ),
            "refuse": lambda: services.refuse(application=app, by=by, reason=args["reason"], version=v),
            "request_supplement": lambda: services.request_supplement(
                application=app, by=by, items=self._supplement_items(app, args["which"]), version=v
            ),
            "supply": lambda: services.supply(
                application=app, by=by, uploads=self._supply_uploads(app, args["how"]), version=v
            ),
            "decide_at_window": lambda: services.decide_at_window(
                application=app, by=by, approved=True, opinion=args["opinion"], version=v
            ),
            "hand_in": lambda: services.hand_in(
                application=app,
                by=by,
                material_id=self._hand_in_id(app, args["which"]),
                copies=args["copies"],
                version=v,
            ),
            "forward": lambda: services.forward(application=app, by=by, note=args["note"], version=v),
            "review": lambda: services.review(application=app, by=by, version=v),
            "return_to_window": lambda: services.return_to_window(
                application=app, by=by, reason=args["reason"], version=v
            ),
            "start_special": lambda: services.start_special(
                application=app, by=by, kind=args["kind"], reason=args["reason"], version=v
            ),
            "end_special": lambda: services.end_special(
                application=app, by=by, result=args["result"], version=v
            ),
            "request_extension": lambda: services.request_extension(
                application=app, by=by, days=args["days"], reason=args["reason"], version=v
            ),
            "decide_extension": lambda: services.decide_extension(
                application=app, by=by, approve=args["approve"], version=v
            ),
            "decide": lambda: services.decide(
                application=app, by=by, approved=args["approved"], opinion=args["opinion"], version=v
            ),
            "complete": lambda: services.complete(application=app, by=by, version=v),
            "certify": lambda: services.certify(
                application=app, by=by, licence_number=args["number"], version=v
            ),
            "hand_over": lambda: services.hand_over(
                application=app,
                by=by,
                recipient_name="王小明",
                recipient_id_number={
                    "own": o.citizen.id_number,
                    "bad": bad_id(o.citizen.id_number),
                    "other": make_id_number(999),
                }[args["recipient"]],
                by_proxy=args["proxy"],
                proxy_authorisation="委托书一份" if args["proxy"] else "",
                version=v,
            ),
            "post": lambda: services.post(
                application=app, by=by, tracking_number=args["tracking"], version=v
            ),
            "confirm_receipt": lambda: services.confirm_receipt(application=app, by=by, version=v),
            "archive": lambda: services.archive(application=app, by=by, version=v),
            "withdraw": lambda: services.withdraw(application=app, by=by, reason=args["reason"], version=v),
        }
        return self.attempt(pk, code, calls[code])

    def _marks(self, how: str) -> list[services.MaterialInput]:
        o = self.office
        if how == "none":
            return []
        marks = all_received(o)
        if how == "missing":
            return marks[:1]
        if how in ("critical_deferred", "deferred"):
            n = 0 if how == "critical_deferred" else 1
            marks[n] = services.MaterialInput(
                o.uses[n].pk, MaterialStatus.DEFERRED, commitment="承诺补交", defer_days=2
            )
        return marks

    def _supplement_items(self, app: Application, which: str) -> list[dict[str, Any]]:
        named = {i["material_id"] for r in app.supplement_requests.all() for i in r.items}
        pks = list(app.materials.order_by("order").values_list("pk", flat=True))
        new = [pk for pk in pks if pk not in named]
        if which == "empty":
            return []
        if which == "foreign":
            return [{"material_id": 10**9, "reason": "不清晰"}]
        if which == "repeat" and named:
            return [{"material_id": next(iter(named)), "reason": "仍不清晰"}]
        pk = (new or pks)[0]
        items = [{"material_id": pk, "reason": "不清晰"}]
        return items * 2 if which == "twice" else items

    def _supply_uploads(self, app: Application, how: str) -> dict[int, list[Any]]:
        request = app.supplement_requests.filter(supplied_at__isnull=True).order_by("-round").first()
        named = [i["material_id"] for i in (request.items if request else [])]
        uploads: dict[int, list[Any]] = {pk: [pdf()] for pk in named}
        if how == "part" and uploads:
            uploads.pop(named[-1])
        elif how == "exe" and uploads:
            uploads[named[-1]] = [SimpleUploadedFile("补正.pdf", EXE, content_type="application/pdf")]
        elif how == "stray":
            others = [pk for pk in app.materials.values_list("pk", flat=True) if pk not in named]
            if others:
                uploads[others[0]] = [pdf()]
        return uploads

    def _hand_in_id(self, app: Application, which: str) -> int:
        if which == "foreign":
            return 10**9
        status = MaterialStatus.DEFERRED if which == "deferred" else MaterialStatus.RECEIVED
        found = app.materials.filter(status=status).first()
        return found.pk if found else self.material(app, 0)

    @rule(pk=applications, data=st.data(), hours=HOURS)
    def act(self, pk: int, data: st.DataObject, hours: int) -> None:
        """Any action, by anyone, with any input, whether the state allows it or not."""
        self.wait(hours)
        code = data.draw(st.sampled_from(sorted(ARGS)), label="action")
        who = data.draw(st.sampled_from(USERS), label="who")
        args = {k: data.draw(s, label=k) for k, s in ARGS[code].items()}
        self.do(pk, code, who, args, data.draw(VERSION, label="version"))

    @rule(pk=applications, choice=st.integers(min_value=0, max_value=3), hours=HOURS)
    def progress(self, pk: int, choice: int, hours: int = 0) -> None:
        """The step a busy office would take next, by the right person, so that runs reach the end."""
        self.wait(hours)
        app = self.app(pk)
        good = {"reason": "依法办理", "note": "已说明", "opinion": "依法作出决定", "result": "程序结束"}
        state = S(app.state)
        pending = app.special_procedures.filter(approval=SpecialProcedure.Approval.PENDING).first()
        steps: dict[ApplicationState, list[tuple[str, str, dict[str, Any]]]] = {
            S.SUBMITTED: [
                ("accept", "clerk", {"marks": "none"}),
                ("accept", "clerk", {"marks": "deferred"}),
                ("request_supplement", "clerk", {"which": "new"}),
                ("accept", "clerk", {"marks": "all"}),
            ],
            S.SUPPLEMENT: [
                ("supply", "applicant", {"how": "all"}),
                ("supply", "clerk", {"how": "all"}),
                ("supply", "applicant", {"how": "all"}),
                ("withdraw", "applicant", good),
            ],
            S.ACCEPTED: [
                ("review", "approver", {}),
                ("review", "second_approver", {}),
                ("return_to_window", "approver", good),
                ("hand_in", "clerk", {"which": "deferred", "copies": 1}),
            ],
            S.REVIEWING: [
                ("decide", "approver", {**good, "approved": choice % 2 == 0}),
                ("start_special", "approver", {"kind": "expert", **good}),
                ("request_extension", "approver", {"days": 3, **good}),
                ("decide_extension", "second_approver", {"approve": True})
                if pending
                else ("return_to_window", "approver", good),
            ],
            S.RETURNED: [
                ("forward", "clerk", good),
                ("request_supplement", "clerk", {"which": "new"}),
                ("forward", "clerk", good),
                ("withdraw", "applicant", good),
            ],
            S.SPECIAL: [
                ("end_special", "approver", good),
                ("decide_extension", "approver", {"approve": True})
                if pending
                else ("request_extension", "second_approver", {"days": "0.5", **good}),
                ("end_special", "second_approver", good),
                ("withdraw", "applicant", good),
            ],
            S.DECIDED: [("complete", "approver", {})] * 4,
            S.COMPLETED: [
                ("certify", "approver", {"number": "JY14101000000001"}),
                ("hand_over", "delivery", {"recipient": "own", "proxy": False}),
                ("post", "delivery", {"tracking": "EA123456785CN"}),
                ("hand_over", "delivery", {"recipient": "other", "proxy": True}),
            ],
            S.CERTIFIED: [
                ("hand_over", "delivery", {"recipient": "own", "proxy": False}),
                ("post", "delivery", {"tracking": "EA123456785CN"}),
            ]
            * 2,
            S.POSTED: [("confirm_receipt", "delivery", {})] * 4,
        }
        options = steps.get(state, [("archive", "delivery", {})] * 4)
        code, who, args = options[choice]
        self.do(pk, code, who, args)

    @rule(pk=applications, choice=st.integers(min_value=0, max_value=3), hours=HOURS)
    def progress_further(self, pk: int, choice: int, hours: int) -> None:
        """Rules are picked evenly: a second name for the walk makes it most of the steps."""
        self.progress(pk, choice, hours)

    @rule(hours=st.integers(min_value=1, max_value=24))
    def wait(self, hours: int) -> None:
        """Working hours pass (nights, weekends and holidays go by with them)."""
        if not hours:
            return
        self._clock.stop()
        self.now = get_calendar().add_working_seconds(self.now, hours * 3600)
        self._clock = time_machine.travel(self.now, tick=False)
        self._clock.start()

    # -- invariants ---------------------------------------------------------------------------------------

    @invariant()
    def chain_verifies_and_every_step_is_in_the_table(self) -> None:
        for pk in self.seen:
            app = self.app(pk)
            assert app.state in S.values
            assert services.CHAIN.check(app) is None, f"the history of {app.number} does not verify"
            new = app.events.filter(seq__gt=self.events_seen[pk]).order_by("seq")
            for e in new.values("seq", "action", "from_state", "to_state"):
                if e["action"] == "submit":
                    assert e["seq"] == 1 and e["to_state"] == S.SUBMITTED
                elif e["action"] == "deferred_overdue":
                    assert e["from_state"] == e["to_state"]
                else:
                    assert e["to_state"] in TABLE.allowed_from(e["action"], e["from_state"]), e
            self.events_seen[pk] = app.chain_length

    @invariant()
    def clock_stands_still_exactly_in_supplement_and_special(self) -> None:
        for pk in self.seen:
            app = self.app(pk)
            paused = app.state in PAUSED_STATES and app.accepted_at is not None
            assert (app.paused_since is not None) == paused, (app.state, app.paused_since)
            open_pauses = list(ClockPause.objects.filter(application_id=pk, ended_at__isnull=True))
            assert len(open_pauses) == (1 if paused else 0)
            if paused:
                assert open_pauses[0].started_at == app.paused_since

    @invariant()
    def due_at_is_the_formula_and_limit_the_promise_plus_extensions(self) -> None:
        for pk in self.seen:
            app = self.app(pk)
            if app.accepted_at is None:
                assert app.due_at is None and app.limit_days == 0
                assert not ClockPause.objects.filter(application_id=pk).exists()
                continue
            granted = sum(
                app.special_procedures.filter(
                    kind=SpecialKind.EXTENSION, approval=SpecialProcedure.Approval.APPROVED
                ).values_list("extension_days", flat=True),
                Decimal(0),
            )
            assert app.limit_days == app.item.promised_limit_days + granted
            closed = list(
                app.pauses.filter(ended_at__isnull=False)
                .order_by("started_at")
                .values_list("started_at", "ended_at")
            )
            expected = due_after_pauses(app.accepted_at, Limit.working_days(app.limit_days), closed)
            assert app.due_at == expected, f"{app.state}: due_at {app.due_at}, the formula gives {expected}"

    @invariant()
    def deadline_moves_only_when_allowed(self) -> None:
        for pk, due, limit in Application.objects.filter(pk__in=self.seen).values_list(
            "pk", "due_at", "limit_days"
        ):
            if pk not in self.may_move:
                assert (due, limit) == self.seen[pk], f"the deadline of {pk} moved without a reason"
            self.seen[pk] = (due, limit)
        self.may_move.clear()


@pytest.mark.django_db
def test_random_action_sequences_keep_the_invariants(office, media):
    Office.office, Office.media = office, media
    try:
        run_machine(Office, max_examples=30, steps=25)
    finally:
        Office.office = Office.media = None


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.mark.django_db
def test_withdrawing_while_the_clock_stands_still_keeps_the_deadline_formula(office):
    """撤回 during 特别程序 ends the pause; the stored 承诺办结时间 must then count it as every
    other ended pause is counted (the one formula), as supply and end_special do."""
    app = walk_in(office).application
    services.review(application=app, by=office.approver)
    services.start_special(application=app, by=office.approver, kind=SpecialKind.EXPERT, reason="需专家评审")
    later = get_calendar().add_working_seconds(timezone.now(), 16 * 3600)
    with time_machine.travel(later, tick=False):
        services.withdraw(application=app, by=office.citizen_user, reason="不再需要")
    app.refresh_from_db()
    closed = list(app.pauses.values_list("started_at", "ended_at"))
    assert len(closed) == 1 and closed[0][1] is not None
    assert app.due_at == due_after_pauses(app.accepted_at, Limit.working_days(app.limit_days), closed)
