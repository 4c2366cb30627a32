"""Every change to an appeal goes through here: one function per use case, keyword-only, atomic,
taking the actor, locking the appeal row, checking the transition table and the actor's right to
act, storing computed deadlines, and appending a chained event. Pages, the API and tasks call
these and nothing else.

Every service acts for an explicit actor (casework/actors.py): a staff member or citizen (a
request's user is wrapped with ``Actor.of``), or the system with its reason (定时催办, 主动治理任务,
Open311 接口登记 …). Nobody (``by=None``) is refused, never waved through, and every check of who
may act goes through ``_authorise``. What other parts do about a change (the classifier learning
from a triage) they do on a domain event published after commit, so the desk imports none of them."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from zhengwu.calendar.selectors import get_calendar
from zhengwu.calendar.workdays import Limit, WorkCalendar
from zhengwu.casework import domain_events, numbers
from zhengwu.casework.actors import Actor, ActorKind, authorise
from zhengwu.core.audit import record
from zhengwu.core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from zhengwu.core.text import strip_control_characters
from zhengwu.org.models import Department

from . import events, notify
from .models import (
    ApiClient,
    Appeal,
    AppealType,
    Assignment,
    Callback,
    Category,
    Channel,
    DailySequence,
    DeadlinePolicy,
    Extension,
    HandlingMode,
    Satisfaction,
    Solved,
    SupervisionOrder,
    Urge,
    Urgency,
)
from .workflow import ACTIONS, TABLE, AppealState, AssignmentState, allowed_from

logger = logging.getLogger(__name__)

STALE = "已被他人修改，请刷新后重试"
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|12345|110|119|120)$")


# ---------------------------------------------------------------------------------------------
# Shared mechanics
# ---------------------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _lock(appeal: Appeal, expected_version: int | None) -> Appeal:
    locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(STALE, field="version")
    events.check_sealed(locked)
    return locked


# The periodic urging job: the system, saying why it acts.
URGING_JOB = Actor.system("定时催办")
RED_LISTING = Actor.system("纪委督办红名单")
CALENDAR_CHANGE = Actor.system("工作日历调整")
# What registering a staff member's appeal needs; a citizen files for themself, a channel system
# (API client, Open311) registers as the system with its reason.
P_REGISTER = "appeals.register_appeal"
# Registering on the proactive channel (未诉先办) is the use case of whoever may create a
# 主动治理任务 from a hot issue (the triage part's permission, by name).
P_PROACTIVE_TASK = "triage.create_proactive_task"
# A department action with no share of the actor's own to act on: no department matches it.
NO_DEPARTMENT = -1


def _actor(by: Any) -> Actor:
    """The actor of a service call: an Actor as given, or a request's user wrapped with
    ``Actor.of``. Nobody (None) and an anonymous user are refused here, before anything is read."""
    if isinstance(by, Actor):
        return by
    if by is None:
        raise NotAllowed("请登录后再办理：诉求的每项办理都须记明操作人")
    return Actor.of(by)


def _person(by: Any) -> Any:
    """What the rows and events store as the actor: the user, or None for the system."""
    return _actor(by).person


def _authorise(
    actor: Actor,
    doing: str,
    *,
    permission: str | None,
    department_action: bool = False,
    assignment: Assignment | None = None,
    owner_ids: tuple[int | None, ...] | None = None,
) -> None:
    """The one check of who may act, for every service and for ``available_actions``: the role,
    and for a department's own action its department (that of ``assignment``, the share it acts
    on), through casework's ``authorise``."""
    department_id: int | None = None
    if department_action:
        department_id = assignment.department_id if assignment is not None else NO_DEPARTMENT
    authorise(actor, doing=doing, permission=permission, department_id=department_id, owner_ids=owner_ids)


def _callback_attempted(appeal: Appeal) -> bool:
    """A callback that did not reach the citizen since the reply was sent (办结 without a
    satisfied callback is for a citizen who cannot be reached, not a way around 回访)."""
    tries = appeal.callbacks.filter(reached=False)
    if appeal.replied_at is not None:
        tries = tries.filter(at__gte=appeal.replied_at)
    return tries.exists()


def _rule(action: str, appeal: Appeal) -> DomainError | None:
    """The rules of one action beyond the transition table and the role, on the appeal itself."""
    if action == "answer" and appeal.appeal_type != AppealType.CONSULTATION:
        return DomainError(
            "只有咨询类诉求可以咨询导办（直接答复办结）；"
            f"此件为“{AppealType(appeal.appeal_type).label}”，请研判后派单",
            field="appeal_type",
        )
    if action == "close" and not _callback_attempted(appeal):
        return DomainError(
            "办结前须先回访；多次联系不上诉求人时，先记录“回访未联系上”，再办结", field="callback"
        )
    return None


def _may(action: str, appeal: Appeal, by: Actor, *, assignment: Assignment | None = None) -> None:
    """Refuse what the transition table, the actor's role and department, or the action's own rules
    do not allow. The one check both the services (through ``_check``) and ``available_actions``
    make, so that what a page or the API offers is what a service accepts."""
    spec = ACTIONS[action]
    TABLE.require_state(action, appeal.state)
    _authorise(
        by,
        spec.label,
        permission=spec.permission,
        department_action=spec.department_action,
        assignment=assignment,
    )
    refusal = _rule(action, appeal)
    if refusal is not None:
        raise refusal


def _check(
    action: str,
    appeal: Appeal,
    by: Actor,
    *,
    to: AppealState | None = None,
    assignment: Assignment | None = None,
) -> AppealState:
    """Refuse anything ``_may`` refuses; return the target state."""
    _may(action, appeal, by, assignment=assignment)
    return TABLE.target(action, appeal.state, to)


def _candidates(
    action: str, appeal: Appeal, user: Actor, shares: list[Assignment]
) -> Sequence[Assignment | None]:
    """What ``action`` would act on for ``user``, as the service would find it: a department's
    own assignment in the state the service requires, a returned share, an open share to urge,
    a pending extension; ``[None]`` for an action on the appeal itself; ``[]`` when there is none."""
    own = [a for a in shares if user.department_id is not None and a.department_id == user.department_id]
    lead, co = Assignment.Role.LEAD, Assignment.Role.CO
    pending, signed = AssignmentState.PENDING, AssignmentState.SIGNED
    match action:
        case "sign" | "return":
            return [a for a in own if a.role == lead and a.state == pending]
        case "co_sign" | "co_return":
            return [a for a in own if a.role == co and a.state == pending]
        case "co_submit":
            return [a for a in own if a.role == co and a.state == signed]
        case "request_extension":
            waiting = set(
                Extension.objects.filter(
                    assignment__in=[a.pk for a in own], state=Extension.State.PENDING
                ).values_list("assignment_id", flat=True)
            )
            return [a for a in own if a.state == signed and a.pk not in waiting]
        case "note" | "reply":
            return [a for a in shares if a.role == lead and a.state == signed][:1]
        case "redispatch" | "reject_return":
            return [None] if any(a.state == AssignmentState.RETURNED for a in shares) else []
        case "urge":
            return [None] if any(_urgeable(a) for a in shares) else []
        case "decide_extension":
            waiting_any = Extension.objects.filter(
                assignment__appeal=appeal, state=Extension.State.PENDING
            ).exists()
            return [None] if waiting_any else []
    return [None]


def available_actions(appeal: Appeal, user: Any) -> list[str]:
    """The action codes ``user`` may take on ``appeal`` now — by the same check every service makes
    (``_may``: the transition table, the role, the department, the action's rules) on what the
    service would act on. The API's ``allowed_actions`` and the page's forms read this."""
    try:
        actor = _actor(user)
    except NotAllowed:
        return []
    shares = list(appeal.assignments.all())
    allowed = []
    for code in ACTIONS:
        if not allowed_from(code, appeal.state):
            continue
        for target in _candidates(code, appeal, actor, shares):
            try:
                _may(code, appeal, actor, assignment=target)
            except DomainError:
                continue
            allowed.append(code)
            break
    return allowed


def _move(
    appeal: Appeal,
    action: str,
    by: Actor,
    target: AppealState,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = True,
    fields: Sequence[str] = (),
) -> None:
    before = appeal.state
    appeal.state = target
    appeal.version += 1  # the row is locked (see _lock), so a plain increment cannot race
    appeal.save(update_fields=["state", "version", "updated_at", *fields])
    events.CHAIN.append(
        appeal,
        action=action,
        actor=by,
        at=_now(),
        from_state=before,
        to_state=target,
        note=note,
        data=data,
        public=public,
    )
    if target == AppealState.CLOSED and before != AppealState.CLOSED:
        domain_events.publish("appeal_closed", appeal_id=appeal.pk)


def _limit(amount: Decimal, unit: str) -> Limit:
    return Limit(amount, "working_days" if unit == "working_days" else "clock_hours")


def policy_for(appeal: Appeal) -> DeadlinePolicy:
    policy = (
        DeadlinePolicy.objects.filter(urgency=appeal.urgency, appeal_type__in=[appeal.appeal_type, ""])
        .order_by("-appeal_type")
        .first()
    )
    if policy is None:
        raise DomainError(
            f"未配置“{Urgency(appeal.urgency).label}”诉求的办理时限规则，请管理员在“办理时限规则”中补充",
            field="urgency",
        )
    return policy


@dataclass(frozen=True)
class Deadlines:
    sign: datetime
    handle: datetime
    sign_days: Decimal | None  # None: a clock-hour limit, not recomputed when the calendar changes
    handle_days: Decimal | None


def _deadlines(appeal: Appeal, start: datetime) -> Deadlines:
    policy = policy_for(appeal)
    cal = get_calendar()
    sign, handle = (
        _limit(policy.sign_amount, policy.sign_unit),
        _limit(policy.handle_amount, policy.handle_unit),
    )
    return Deadlines(
        sign=cal.deadline_for(start, sign),
        handle=cal.deadline_for(start, handle),
        sign_days=sign.amount if sign.unit == "working_days" else None,
        handle_days=handle.amount if handle.unit == "working_days" else None,
    )


def _required(value: str, field: str, label: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{label}", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label}不能超过{max_length}个字，当前{len(text)}个字", field=field)
    return text


# ---------------------------------------------------------------------------------------------
# 受理登记
# ---------------------------------------------------------------------------------------------


def _replayed(existing: Appeal, title: str, body: str) -> Appeal:
    """A retry with a key already used: the same appeal again is answered with the one created;
    different words under the same key are a client's bug, refused rather than silently lost."""
    if (existing.title, existing.body) != ((title or "").strip(), (body or "").strip()):
        raise Conflict(
            "该幂等键（Idempotency-Key）已用于另一件内容不同的诉求，请为新诉求使用新的键",
            field="idempotency_key",
        )
    return existing


# The query code's hashing is every matter's (casework/numbers.py); the name stays for the desk.
hash_query_code = numbers.hash_query_code


def query_code_matches(appeal: Appeal, code: str) -> bool:
    """Whether ``code`` is the appeal's query code (casework/numbers.py: codes issued before
    QUERY_CODE_KEY existed still match until SECRET_KEY is rotated)."""
    return numbers.query_code_matches(appeal.query_code_hash, code)


def _next_in_day(local: date) -> int:
    """Add one to the day's counter (creating it at 1) and return it. The row stays locked until
    the transaction ends, so concurrent intakes never share a number and a rolled-back one leaves
    no gap; callers take it as late as they can, since every other intake waits for it.

    The desk keeps its own counter (``DailySequence``) rather than casework's ``DailyCounter``:
    today's running number lives in its rows, and moving it is a data migration to make while no
    intake runs, not in passing. It is also one round trip (INSERT … ON CONFLICT … RETURNING)
    where the shared counter takes two; the number's form is the shared one (PREFIX-YYYYMMDD-N)."""
    if connection.features.can_return_columns_from_insert:  # PostgreSQL; SQLite ≥ 3.35
        table = connection.ops.quote_name(DailySequence._meta.db_table)
        with connection.cursor() as cursor:  # one round trip instead of update, insert, select
            cursor.execute(
                f"INSERT INTO {table} (day, value) VALUES (%s, 1) ON CONFLICT (day)"  # noqa: S608
                f" DO UPDATE SET value = {table}.value + 1 RETURNING value",
                [connection.ops.adapt_datefield_value(local)],
            )
            return int(cursor.fetchone()[0])
    updated = DailySequence.objects.filter(day=local).update(value=F("value") + 1)
    if not updated:
        try:
            with transaction.atomic():
                DailySequence.objects.create(day=local, value=1)
        except IntegrityError:
            DailySequence.objects.filter(day=local).update(value=F("value") + 1)
    return DailySequence.objects.get(day=local).value


def _next_number(channel: str, day: datetime) -> str:
    local = timezone.localtime(day).date()
    value = _next_in_day(local)
    prefix = {Channel.HOTLINE: "12345", Channel.PROACTIVE: "ZD"}.get(Channel(channel), "ZW")
    return f"{prefix}-{local:%Y%m%d}-{value:06d}"


def register_appeal(
    *,
    channel: str,
    appeal_type: str,
    title: str,
    body: str,
    urgency: str = Urgency.ORDINARY,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    anonymous: bool = False,
    confidential: bool = False,
    citizen: Any = None,
    enterprise: Any = None,
    by: Any = None,
    idempotency_key: str | None = None,
    category: Category | None = None,
) -> tuple[Appeal, str | None]:
    """Register an appeal; returns it with its query code (None when the key was seen before: the
    channel retried, and the appeal it already created is returned unchanged). ``category``: the
    service the channel's form picked (Open311 service_code), a starting point for 研判.

    The key is not looked up first: the unique index on it says whether it was used, so a new
    appeal (nearly every request) costs no extra query. A retry finds its appeal once the insert
    is refused — or once the input is, since the rules may have changed after the first request.

    Control characters are removed from every text here, the one place all intake paths (web
    form, operator, API, Open311) pass; their field help says so (``CONTROL_CHARACTERS_NOTE``)."""
    if channel == Channel.PROACTIVE:
        raise InvalidInput(
            "主动治理（未诉先办）渠道只用于由热点问题生成的任务，不能直接登记；请选择诉求的来源渠道",
            field="channel",
        )
    actor = _actor(by)
    _authorise_intake(actor)
    key = idempotency_key.strip()[:100] if idempotency_key else None
    title, body, contact_name, contact_phone, address = (
        strip_control_characters(text or "") for text in (title, body, contact_name, contact_phone, address)
    )
    try:
        return _register_new(
            channel=channel,
            appeal_type=appeal_type,
            title=title,
            body=body,
            urgency=urgency,
            contact_name=contact_name,
            contact_phone=contact_phone,
            address=address,
            anonymous=anonymous,
            confidential=confidential,
            citizen=citizen,
            enterprise=enterprise,
            by=actor,
            key=key,
            category=category,
        )
    except (IntegrityError, DomainError):
        if key and (existing := Appeal.objects.filter(idempotency_key=key).first()):
            return _replayed(existing, title, body), None
        raise


def register_proactive_task(*, title: str, body: str, address: str, by: Any) -> Appeal:
    """Register a 主动治理任务 (未诉先办) on the system's own channel: the only way onto it, used by
    ``triage.services.create_proactive_task``; ``by`` is the person who created the task."""
    actor = _actor(by)
    _authorise(actor, "生成主动治理任务", permission=P_PROACTIVE_TASK)
    title, body, address = (strip_control_characters(text or "") for text in (title, body, address))
    appeal, _ = _register_new(
        channel=Channel.PROACTIVE,
        appeal_type=AppealType.SUGGESTION,
        title=title,
        body=body,
        urgency=Urgency.ORDINARY,
        contact_name="",
        contact_phone="",
        address=address,
        anonymous=False,
        confidential=False,
        citizen=None,
        enterprise=None,
        by=actor,
        key=None,
        category=None,
    )
    return appeal


def _authorise_intake(actor: Actor) -> None:
    """Who may register an appeal: staff holding the register permission; a citizen, filing for
    themself; the system for a channel that is not a person (a web visitor without an account, an
    API client, Open311), saying which."""
    if actor.kind == ActorKind.CITIZEN:
        _authorise(actor, "提交诉求", permission=None, owner_ids=(actor.pk,))
    else:
        _authorise(actor, "登记诉求", permission=P_REGISTER)


def _register_new(
    *,
    channel: str,
    appeal_type: str,
    title: str,
    body: str,
    urgency: str,
    contact_name: str,
    contact_phone: str,
    address: str,
    anonymous: bool,
    confidential: bool,
    citizen: Any,
    enterprise: Any,
    by: Actor,
    key: str | None,
    category: Category | None,
) -> tuple[Appeal, str]:
    if channel not in Channel.values:
        raise InvalidInput("渠道不正确", field="channel")
    if appeal_type not in AppealType.values:
        raise InvalidInput("诉求类型不正确", field="appeal_type")
    if urgency not in Urgency.values:
        raise InvalidInput("紧急程度不正确", field="urgency")
    title = _required(title, "title", "标题", 100)
    body = _required(body, "body", "诉求内容", 5000)
    phone = (contact_phone or "").strip().replace(" ", "")
    if anonymous and appeal_type != AppealType.REPORT:
        raise DomainError("只有举报可以匿名", field="anonymous")
    if not anonymous and not phone and channel != Channel.PROACTIVE:
        raise InvalidInput("请填写联系电话，以便答复和回访", field="contact_phone")
    if phone and not PHONE.match(phone):
        raise InvalidInput("联系电话格式不正确：请填写11位手机号或带区号的固定电话", field="contact_phone")
    if len(contact_name) > 50:
        raise InvalidInput("联系人不能超过50个字", field="contact_name")
    if len(address) > 200:
        raise InvalidInput("地点不能超过200个字", field="address")
    now = _now()
    code = numbers.new_query_code()
    appeal = Appeal(
        query_code_hash=hash_query_code(code),
        channel=channel,
        appeal_type=appeal_type,
        urgency=urgency,
        title=title,
        body=body,
        contact_name="" if anonymous else contact_name.strip(),
        contact_phone=phone,
        address=address.strip(),
        anonymous=anonymous,
        confidential=confidential or anonymous,
        citizen=None if anonymous else citizen,
        enterprise=None if anonymous else enterprise,
        registered_by=by.person if by.kind == ActorKind.STAFF else None,
        submitted_by=by.person if by.kind == ActorKind.CITIZEN else None,
        idempotency_key=key,
        category=category,
    )
    if category is not None and not category.is_active:
        raise DomainError("该分类已停用", field="category")
    # One short transaction (a savepoint inside a caller's): the number, the row, the first event.
    # A request whose key was used fails at the unique index and takes its number back with it.
    with transaction.atomic():
        appeal.number = _next_number(channel, now)
        events.CHAIN.append(  # inserts the appeal, sealed to this first event, then the event
            appeal,
            action="register",
            actor=by,
            at=now,
            to_state=AppealState.REGISTERED,
            note=f"经{Channel(channel).label}登记",
            data={"channel": channel, "type": appeal_type},
            first=True,
        )
    return appeal, code


# ---------------------------------------------------------------------------------------------
# 研判分类 / 咨询导办 / 并单
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def triage(
    *,
    appeal: Appeal,
    category: Category,
    handling_mode: str,
    by: Any,
    specialist: Any = None,
    red_list: bool = False,
    version: int | None = None,
    suggested: str | None = None,
) -> Appeal:
    """研判分类. Every choice is kept as a training example for the classifier; ``suggested``: the
    first-level category the triage suggestion proposed, if one was shown, so that the example
    records whether the dispatcher accepted or corrected it."""
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("triage", appeal, by)
    if handling_mode not in HandlingMode.values:
        raise InvalidInput("办理方式不正确", field="handling_mode")
    if not category.is_active:
        raise DomainError("该分类已停用", field="category")
    if handling_mode == HandlingMode.ONE_ON_ONE and specialist is None:
        raise DomainError("一对一办须指定专员", field="specialist")
    before = {"category": appeal.category_id, "mode": appeal.handling_mode}
    appeal.category = category
    appeal.handling_mode = handling_mode
    appeal.specialist = specialist
    appeal.red_listed = appeal.red_listed or red_list or handling_mode == HandlingMode.DISCIPLINE
    _move(
        appeal,
        "triage",
        by,
        target,
        public=False,
        data={"before": before, "after": {"category": category.pk, "mode": handling_mode}},
        note=f"{category}，{HandlingMode(handling_mode).label}",
        fields=["category", "handling_mode", "specialist", "red_listed"],
    )
    if appeal.channel != Channel.PROACTIVE:
        _learn_from(appeal, category, suggested, by)
    return appeal


def _learn_from(appeal: Appeal, category: Category, suggested: str | None, by: Actor) -> None:
    """A dispatcher's triage is announced once it commits (``appeal_triaged``); the classifier's
    part turns it into a labelled example of the first level. A 主动治理任务 is not announced: its
    text is written by the system, not by a citizen."""
    domain_events.publish(
        "appeal_triaged",
        appeal_id=appeal.pk,
        category_id=category.pk,
        by_id=by.pk,
        suggested=suggested or "",
    )


@transaction.atomic
def answer_directly(*, appeal: Appeal, answer: str, by: Any, version: int | None = None) -> Appeal:
    """咨询导办: answered on the spot (from the knowledge base) and closed."""
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("answer", appeal, by)
    appeal.reply = _required(answer, "answer", "答复内容", 5000)
    appeal.handling_mode = HandlingMode.GUIDE
    appeal.replied_at = appeal.closed_at = _now()
    _move(
        appeal,
        "answer",
        by,
        target,
        note="咨询导办，当场答复",
        fields=["reply", "handling_mode", "replied_at", "closed_at"],
    )
    return appeal


@transaction.atomic
def merge(*, appeal: Appeal, into: Appeal, by: Any, version: int | None = None) -> Appeal:
    """并单: the repeat is closed into the original, stays visible and is counted there."""
    by = _actor(by)
    if into.pk == appeal.pk:
        raise DomainError("不能并入自身", field="into")
    # Both rows locked in one order (by id), whichever is the repeat: A into B and B into A at the
    # same moment would otherwise each hold one row and wait for the other (a deadlock).
    list(Appeal.objects.select_for_update().filter(pk__in=[appeal.pk, into.pk]).order_by("pk"))
    original = Appeal.objects.select_for_update().get(pk=into.pk)
    events.check_sealed(original)
    if original.state == AppealState.MERGED:
        raise DomainError("不能并入一件已并单的诉求，请并入其原工单", field="into")
    appeal = _lock(appeal, version)
    target = _check("merge", appeal, by)
    appeal.merged_into = original
    _move(
        appeal,
        "merge",
        by,
        target,
        note=f"与 {original.number} 为重复诉求，已并单",
        data={"into": original.number},
        fields=["merged_into"],
    )
    events.CHAIN.append(
        original,
        action="merged_in",
        actor=by,
        at=_now(),
        from_state=original.state,
        to_state=original.state,
        note=f"并入重复诉求 {appeal.number}",
        data={"repeat": appeal.number},
    )
    return appeal


# ---------------------------------------------------------------------------------------------
# 分办转办
# ---------------------------------------------------------------------------------------------


def _new_assignment(appeal: Appeal, department: Department, role: str, by: Any, now: datetime) -> Assignment:
    due = _deadlines(appeal, now)
    return Assignment.objects.create(
        appeal=appeal,
        department=department,
        role=role,
        dispatched_by=_person(by),
        sign_due_at=due.sign,
        handle_due_at=due.handle,
        sign_started_at=now,
        sign_limit_days=due.sign_days,
        handle_started_at=now,
        handle_limit_days=due.handle_days,
    )


@transaction.atomic
def dispatch(
    *,
    appeal: Appeal,
    lead: Department,
    co_handlers: Sequence[Department] = (),
    by: Any,
    version: int | None = None,
) -> Appeal:
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("dispatch", appeal, by)
    if not lead.is_active:
        raise DomainError("主办单位已停用", field="lead")
    co = list(dict.fromkeys(d for d in co_handlers if d.pk != lead.pk))
    now = _now()
    lead_assignment = _new_assignment(appeal, lead, Assignment.Role.LEAD, by, now)
    for department in co:
        _new_assignment(appeal, department, Assignment.Role.CO, by, now)
    appeal.due_at = lead_assignment.handle_due_at
    _move(
        appeal,
        "dispatch",
        by,
        target,
        fields=["due_at"],
        note=f"派至{lead.name}主办" + (f"，{'、'.join(d.name for d in co)}协办" if co else ""),
        data={"lead": lead.pk, "co": [d.pk for d in co], "due_at": appeal.due_at},
    )
    return appeal


@transaction.atomic
def accept_suggestion(
    *,
    appeal: Appeal,
    category: Category,
    lead: Department,
    by: Any,
    version: int | None = None,
    suggested: str | None = None,
) -> Appeal:
    """采纳: the dispatcher accepts the triage suggestion — its category and its lead department —
    in one step: 研判 (dispatch mode) then 派单, in one transaction, so both hold or neither does.
    Each step checks its own permission and transition, as when done one after the other."""
    appeal = triage(
        appeal=appeal,
        category=category,
        handling_mode=HandlingMode.DISPATCH,
        by=by,
        version=version,
        suggested=suggested,
    )
    return dispatch(appeal=appeal, lead=lead, by=by)


def _assignment_for_update(assignment: Assignment) -> Assignment:
    return Assignment.objects.select_for_update().select_related("appeal").get(pk=assignment.pk)


@transaction.atomic
def sign(*, assignment: Assignment, by: Any, version: int | None = None) -> Assignment:
    by = _actor(by)
    appeal = _lock(assignment.appeal, version)
    assignment = _assignment_for_update(assignment)
    lead = assignment.role == Assignment.Role.LEAD
    target = _check("sign" if lead else "co_sign", appeal, by, assignment=assignment)
    if assignment.state != AssignmentState.PENDING:
        raise Conflict("该派单不是待签收状态", field="assignment")
    assignment.state = AssignmentState.SIGNED
    assignment.signed_at, assignment.signed_by = _now(), by.person
    assignment.save(update_fields=["state", "signed_at", "signed_by", "updated_at"])
    _move(
        appeal,
        "sign" if lead else "co_sign",
        by,
        target,
        note=f"{assignment.department.name}已签收",
        data={"assignment": assignment.pk, "on_time": assignment.signed_at <= assignment.sign_due_at},
    )
    return assignment


@transaction.atomic
def return_assignment(
    *, assignment: Assignment, reason: str, by: Any, version: int | None = None
) -> Assignment:
    """退单: within the sign limit, with a reason; it goes back to the dispatcher."""
    by = _actor(by)
    appeal = _lock(assignment.appeal, version)
    assignment = _assignment_for_update(assignment)
    lead = assignment.role == Assignment.Role.LEAD
    target = _check("return" if lead else "co_return", appeal, by, assignment=assignment)
    reason = _required(reason, "reason", "退单理由", 500)
    if assignment.state != AssignmentState.PENDING:
        raise Conflict("已签收的派单不能退单，请申请改派或延期", field="assignment")
    assignment.state = AssignmentState.RETURNED
    assignment.return_reason = reason
    assignment.save(update_fields=["state", "return_reason", "updated_at"])
    _move(
        appeal,
        "return" if lead else "co_return",
        by,
        target,
        public=False,
        note=f"{assignment.department.name}退单：{reason}",
        data={"assignment": assignment.pk},
    )
    return assignment


def _returned_share(
    assignment: Assignment, action: str, by: Any, version: int | None, refusal: str
) -> tuple[Appeal, Assignment, bool, AppealState]:
    """Lock the appeal and a returned share the dispatcher decides on; a returned lead puts the
    appeal back to 待签收, a co-handler's share leaves its state alone."""
    appeal = _lock(assignment.appeal, version)
    assignment = _assignment_for_update(assignment)
    lead = assignment.role == Assignment.Role.LEAD
    target = _check(action, appeal, by, to=AppealState.DISPATCHED if lead else AppealState(appeal.state))
    if assignment.state != AssignmentState.RETURNED:
        raise Conflict(refusal, field="assignment")
    return appeal, assignment, lead, target


@transaction.atomic
def redispatch(*, assignment: Assignment, to: Department, by: Any, version: int | None = None) -> Assignment:
    """改派: the dispatcher accepts a return and sends that share to another department."""
    by = _actor(by)
    appeal, assignment, lead, target = _returned_share(
        assignment, "redispatch", by, version, "只能改派已退单的派单"
    )
    if to.pk == assignment.department_id:
        raise DomainError("改派须选择另一个部门，或驳回退单", field="to")
    if appeal.assignments.filter(department=to, state__in=["pending", "signed"]).exists():
        raise DomainError(f"{to.name}已在办理此诉求", field="to")
    assignment.state = AssignmentState.CANCELLED
    assignment.finished_at = _now()
    assignment.save(update_fields=["state", "finished_at", "updated_at"])
    fresh = _new_assignment(appeal, to, assignment.role, by, _now())
    fields: list[str] = []
    if lead:
        appeal.due_at = fresh.handle_due_at
        fields.append("due_at")
    _move(
        appeal,
        "redispatch",
        by,
        target,
        fields=fields,
        note=f"改派至{to.name}",
        data={"from": assignment.department_id, "to": to.pk, "role": assignment.role},
    )
    return fresh


@transaction.atomic
def reject_return(*, assignment: Assignment, note: str, by: Any, version: int | None = None) -> Assignment:
    """派单异议审核 refuses the return: the same department must sign."""
    by = _actor(by)
    appeal, assignment, _, target = _returned_share(
        assignment, "reject_return", by, version, "该派单没有待审核的退单"
    )
    note = _required(note, "note", "驳回理由", 500)
    now = _now()
    due = _deadlines(appeal, now)
    assignment.state = AssignmentState.PENDING
    assignment.sign_due_at, assignment.sign_started_at, assignment.sign_limit_days = (
        due.sign,
        now,
        due.sign_days,
    )
    assignment.save(
        update_fields=["state", "sign_due_at", "sign_started_at", "sign_limit_days", "updated_at"]
    )
    _move(
        appeal,
        "reject_return",
        by,
        target,
        public=False,
        note=f"驳回{assignment.department.name}的退单：{note}",
        data={"assignment": assignment.pk},
    )
    return assignment


# ---------------------------------------------------------------------------------------------
# 限时办结: extensions, co-handling, notes, reply
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def request_extension(
    *, assignment: Assignment, reason: str, until: datetime, by: Any, version: int | None = None
) -> Extension:
    by = _actor(by)
    appeal = _lock(assignment.appeal, version)
    assignment = _assignment_for_update(assignment)
    target = _check("request_extension", appeal, by, assignment=assignment)
    if assignment.state != AssignmentState.SIGNED:
        raise Conflict("只有办理中的派单可以申请延期", field="assignment")
    reason = _required(reason, "reason", "延期理由", 500)
    if until <= assignment.handle_due_at:
        raise DomainError(
            f"申请延期的期限须晚于当前期限 {timezone.localtime(assignment.handle_due_at):%Y-%m-%d %H:%M}",
            field="until",
        )
    try:
        with transaction.atomic():
            extension = Extension.objects.create(
                assignment=assignment,
                reason=reason,
                requested_by=by.person,
                previous_due_at=assignment.handle_due_at,
                requested_due_at=until,
            )
    except IntegrityError as exc:
        raise Conflict("已有待审核的延期申请", field="assignment") from exc
    _move(
        appeal,
        "request_extension",
        by,
        target,
        public=False,
        note=f"申请延期至 {timezone.localtime(until):%Y-%m-%d %H:%M}：{reason}",
        data={"extension": extension.pk, "until": until},
    )
    return extension


@transaction.atomic
def decide_extension(
    *, extension: Extension, approve: bool, note: str = "", by: Any, version: int | None = None
) -> Extension:
    """The deadline moves only here, only on approval; the request and the old limit are kept."""
    by = _actor(by)
    assignment = extension.assignment
    appeal = _lock(assignment.appeal, version)
    target = _check("decide_extension", appeal, by)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.state != Extension.State.PENDING:
        raise Conflict("该延期申请已审核", field="extension")
    assignment = _assignment_for_update(assignment)
    extension.state = Extension.State.APPROVED if approve else Extension.State.REFUSED
    extension.decided_by, extension.decided_at, extension.decision_note = (
        by.person,
        _now(),
        note.strip()[:500],
    )
    extension.save()
    fields: list[str] = []
    if approve:
        assignment.handle_due_at = extension.requested_due_at
        assignment.handle_limit_days = None  # an agreed date: a later calendar change leaves it alone
        assignment.save(update_fields=["handle_due_at", "handle_limit_days", "updated_at"])
        if assignment.role == Assignment.Role.LEAD:
            appeal.due_at = extension.requested_due_at
            fields.append("due_at")
    _move(
        appeal,
        "decide_extension",
        by,
        target,
        fields=fields,
        note=("同意延期至 " + f"{timezone.localtime(extension.requested_due_at):%Y-%m-%d %H:%M}")
        if approve
        else f"不同意延期：{note}",
        data={
            "extension": extension.pk,
            "approved": approve,
            "previous": extension.previous_due_at,
            "requested": extension.requested_due_at,
        },
    )
    return extension


@transaction.atomic
def submit_contribution(
    *, assignment: Assignment, text: str, by: Any, version: int | None = None
) -> Assignment:
    """A co-handler's part goes to the lead; the lead replies for all."""
    by = _actor(by)
    appeal = _lock(assignment.appeal, version)
    assignment = _assignment_for_update(assignment)
    if assignment.role != Assignment.Role.CO:
        raise DomainError("主办单位请直接提交答复", field="assignment")
    target = _check("co_submit", appeal, by, assignment=assignment)
    if assignment.state != AssignmentState.SIGNED:
        raise Conflict("请先签收再提交协办意见", field="assignment")
    assignment.contribution = _required(text, "text", "协办意见", 5000)
    assignment.state = AssignmentState.SUBMITTED
    assignment.finished_at = _now()
    assignment.save(update_fields=["contribution", "state", "finished_at", "updated_at"])
    _move(
        appeal,
        "co_submit",
        by,
        target,
        public=False,
        note=f"{assignment.department.name}提交协办意见",
        data={"assignment": assignment.pk},
    )
    return assignment


def _signed_lead(appeal: Appeal) -> Assignment | None:
    return appeal.assignments.filter(role=Assignment.Role.LEAD, state=AssignmentState.SIGNED).first()


@transaction.atomic
def add_note(*, appeal: Appeal, text: str, by: Any, version: int | None = None) -> Appeal:
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("note", appeal, by, assignment=_signed_lead(appeal))
    _move(appeal, "note", by, target, public=False, note=_required(text, "text", "办理过程", 2000))
    return appeal


@transaction.atomic
def submit_reply(*, appeal: Appeal, text: str, by: Any, version: int | None = None) -> Appeal:
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("reply", appeal, by, assignment=_signed_lead(appeal))
    appeal.reply = _required(text, "text", "答复内容", 5000)
    _move(appeal, "reply", by, target, public=False, note="主办单位提交答复", fields=["reply"])
    return appeal


@transaction.atomic
def approve_reply(*, appeal: Appeal, by: Any, version: int | None = None) -> Appeal:
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("approve_reply", appeal, by)
    appeal.replied_at = _now()
    _move(
        appeal,
        "approve_reply",
        by,
        target,
        note="已答复诉求人",
        data={"reply": appeal.reply},
        fields=["replied_at"],
    )
    transaction.on_commit(lambda: notify.notify_reply(appeal))
    return appeal


@transaction.atomic
def rework_reply(*, appeal: Appeal, note: str, by: Any, version: int | None = None) -> Appeal:
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("rework_reply", appeal, by)
    _move(
        appeal,
        "rework_reply",
        by,
        target,
        public=False,
        note=f"答复退回重办：{_required(note, 'note', '退回理由', 500)}",
    )
    return appeal


# ---------------------------------------------------------------------------------------------
# 反馈评价: callback, reopen, close, archive
# ---------------------------------------------------------------------------------------------


def _finish_assignments(appeal: Appeal, now: datetime) -> None:
    """At closure the shares that were worked on are done; shares never signed (a co-handler
    still pending, a return nobody re-dispatched) are cancelled, so no inbox or board keeps
    counting them."""
    appeal.assignments.filter(state__in=[AssignmentState.SIGNED, AssignmentState.SUBMITTED]).update(
        state=AssignmentState.DONE, finished_at=now, updated_at=now
    )
    appeal.assignments.filter(state__in=[AssignmentState.PENDING, AssignmentState.RETURNED]).update(
        state=AssignmentState.CANCELLED, finished_at=now, updated_at=now
    )


def _rated_by_callback(appeal: Appeal, callback: Callback, at: datetime) -> None:
    """The citizen's 满意度 told to the callback staff is a rating (好差评, channel 电话)."""
    from zhengwu.ratings.services import record_appeal_rating

    record_appeal_rating(
        appeal=appeal,
        level=int(callback.satisfaction or 0),
        text=callback.note,
        channel="phone",
        source="callback",
        at=at,
    )


@transaction.atomic
def record_callback(
    *,
    appeal: Appeal,
    reached: bool,
    by: Any,
    solved: str = "",
    satisfaction: int | None = None,
    note: str = "",
    version: int | None = None,
) -> Callback:
    """回访. Not solved or not satisfied reopens the appeal (重办) with a fresh limit, up to
    APPEAL_MAX_REOPENS times; beyond that it also goes to the 纪委督办 red list with a 督办单."""
    by = _actor(by)
    appeal = _lock(appeal, version)
    if reached:
        if solved not in Solved.values:
            raise InvalidInput("请选择解决情况", field="solved")
        if satisfaction not in Satisfaction.values:
            raise InvalidInput("请选择满意度", field="satisfaction")
    callback = Callback(
        appeal=appeal,
        reached=reached,
        solved=solved if reached else "",
        satisfaction=satisfaction if reached else None,
        note=note.strip()[:1000],
        by=by.person,
    )
    now = _now()
    if not reached:
        target = _check("callback", appeal, by, to=AppealState.REPLIED)
        callback.save()
        _move(appeal, "callback", by, target, public=False, note="回访未联系上")
        return callback
    if not callback.unhappy:
        target = _check("callback", appeal, by, to=AppealState.CLOSED)
        callback.save()
        _rated_by_callback(appeal, callback, now)
        appeal.closed_at = now
        _finish_assignments(appeal, now)
        _move(
            appeal,
            "callback",
            by,
            target,
            fields=["closed_at"],
            note=f"回访：{Solved(solved).label}，{Satisfaction(int(satisfaction or 0)).label}，办结",
        )
        return callback
    target = _check("callback", appeal, by, to=AppealState.IN_PROGRESS)
    callback.save()
    _rated_by_callback(appeal, callback, now)
    lead = _signed_lead(appeal)
    if lead is None:
        raise Conflict("没有可重办的主办单位", field="assignment")
    due = _deadlines(appeal, now)
    handle_due = due.handle
    lead.handle_due_at, lead.handle_started_at, lead.handle_limit_days = handle_due, now, due.handle_days
    lead.save(update_fields=["handle_due_at", "handle_started_at", "handle_limit_days", "updated_at"])
    appeal.reopen_count += 1
    appeal.due_at = handle_due
    fields = ["reopen_count", "due_at"]
    over_limit = appeal.reopen_count > settings.APPEAL_MAX_REOPENS
    if over_limit:
        appeal.red_listed = True
        fields.append("red_listed")
    _move(
        appeal,
        "callback",
        by,
        target,
        fields=fields,
        note=f"回访：{Solved(solved).label}，{Satisfaction(int(satisfaction or 0)).label}，第{appeal.reopen_count}次重办",
        data={"reopen": appeal.reopen_count, "due_at": handle_due},
    )
    if over_limit:
        SupervisionOrder.objects.create(
            appeal=appeal,
            department=lead.department,
            issued_by=None,
            due_at=handle_due,
            note=f"重办{appeal.reopen_count}次仍不满意，转纪委督办",
        )
        _record_red_listing(appeal, "多次重办仍不满意，列入纪委督办红名单")
    return callback


def _record_red_listing(appeal: Appeal, note: str) -> None:
    """The system's internal timeline entry for putting an appeal on the 纪委督办 red list."""
    events.CHAIN.append(
        appeal,
        action="supervise",
        actor=RED_LISTING,
        at=_now(),
        from_state=appeal.state,
        to_state=appeal.state,
        note=note,
        public=False,
    )


@transaction.atomic
def close(*, appeal: Appeal, note: str, by: Any, version: int | None = None) -> Appeal:
    """办结 without a satisfied callback (e.g. the citizen could not be reached after repeated tries)."""
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("close", appeal, by)
    now = _now()
    appeal.closed_at = now
    _finish_assignments(appeal, now)
    _move(appeal, "close", by, target, fields=["closed_at"], note=_required(note, "note", "办结说明", 500))
    return appeal


@transaction.atomic
def archive(*, appeal: Appeal, by: Any, version: int | None = None) -> Appeal:
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("archive", appeal, by)
    _move(appeal, "archive", by, target, public=False, note="归档")
    return appeal


# ---------------------------------------------------------------------------------------------
# 催办督办
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def supervise(
    *,
    appeal: Appeal,
    department: Department,
    note: str,
    days: Decimal,
    by: Any,
    red_list: bool = False,
    version: int | None = None,
) -> SupervisionOrder:
    by = _actor(by)
    appeal = _lock(appeal, version)
    target = _check("supervise", appeal, by)
    note = _required(note, "note", "督办意见", 1000)
    due = get_calendar().deadline_for(_now(), Limit.working_days(days))
    order = SupervisionOrder.objects.create(
        appeal=appeal, department=department, note=note, due_at=due, issued_by=by.person
    )
    fields: list[str] = []
    if red_list and not appeal.red_listed:
        appeal.red_listed = True
        fields.append("red_listed")
    _move(
        appeal,
        "supervise",
        by,
        target,
        public=False,
        fields=fields,
        note=f"向{department.name}发出督办单：{note}",
        data={"order": order.pk, "due_at": due, "red_list": red_list},
    )
    return order


URGE_NOTE_MAX = 500


def _urgeable(assignment: Assignment) -> bool:
    return assignment.state in (AssignmentState.PENDING, AssignmentState.SIGNED)


@transaction.atomic
def urge(
    *,
    assignment: Assignment,
    threshold: str,
    by: Any,
    version: int | None = None,
    note: str = "",
) -> bool:
    """催办 an assignment once per threshold ("yellow", "red", or a manual tag). Returns False when
    this threshold was already urged, so a periodic job can run as often as it likes. A person
    urging from a page passes the version they saw, and may say what they ask for (``note``, kept
    in the event and shown on the timeline); the periodic job passes neither."""
    by = _actor(by)
    note = (note or "").strip()
    if len(note) > URGE_NOTE_MAX:
        raise InvalidInput(f"催办说明不能超过{URGE_NOTE_MAX}个字，当前{len(note)}个字", field="note")
    appeal = _lock(assignment.appeal, version)
    target = _check("urge", appeal, by)
    if not _urgeable(Assignment.objects.get(pk=assignment.pk)):
        raise Conflict("该派单已办结、退回或改派，无需催办", field="assignment")
    _, created = Urge.objects.get_or_create(assignment=assignment, threshold=threshold)
    if not created:
        return False
    label = {"yellow": "临近期限", "red": "已超期"}.get(threshold, threshold)
    _move(
        appeal,
        "urge",
        by,
        target,
        public=False,
        note=f"催办{assignment.department.name}：{label}" + (f"。催办说明：{note}" if note else ""),
        data={"assignment": assignment.pk, "threshold": threshold, "note": note},
    )
    return True


def urge_threshold(limit: str, colour: str, *, extended: int = 0) -> str:
    """The automatic urging's threshold tag: ``sign-yellow``, ``handle-red``, and after the n-th
    approved extension ``handle-yellow-e2`` (a moved limit turns yellow and red again)."""
    return f"{limit}-{colour}" + (f"-e{extended}" if extended else "")


def _is_working_time(cal: WorkCalendar, now: datetime) -> bool:
    """Inside the calendar's working hours. In a year not entered yet, weekdays in WORKING_HOURS."""
    try:
        return cal.is_working_time(now)
    except DomainError:
        local = now.astimezone(cal.tz)
        second = local.hour * 3600 + local.minute * 60 + local.second
        return local.weekday() < 5 and any(a <= second < b for a, b in cal.intervals)


@transaction.atomic
def _red_list(appeal_id: int) -> None:
    """Put an appeal overdue by more than its handling limit on the 纪委督办 red list, on its
    timeline like every other change of the row (the history's seal covers ``red_listed``)."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal_id)
    if appeal.red_listed or not events.row_is_sealed(appeal):
        return  # a forged row is left for the administrators (the daily check reports it)
    appeal.red_listed = True
    appeal.save(update_fields=["red_listed", "updated_at"])
    _record_red_listing(appeal, "超期超过一个办理时限，列入纪委督办红名单")


def run_urging(now: datetime | None = None) -> int:
    """The periodic job: urge every open assignment that turned yellow or red, and put appeals
    overdue by more than the handling limit again on the red list. Idempotent.

    Urging is a message to people at work, so it is sent in working hours only (the calendar and
    WORKING_HOURS): a limit that turned yellow on Saturday is urged once, on Monday morning. Each
    limit (签收, 办理, and the 办理 limit after each approved extension) is urged at most once per
    threshold (yellow, red)."""
    from .worklists import Lights

    now = now or _now()
    lights = Lights(now)  # one read of the calendar for the whole run
    at_work = _is_working_time(lights.cal, now)
    sent = 0
    open_assignments = (
        Assignment.objects.filter(state__in=[AssignmentState.PENDING, AssignmentState.SIGNED])
        .select_related("appeal", "department")
        .annotate(extended=Count("extensions", filter=Q(extensions__state=Extension.State.APPROVED)))
    )
    for a in open_assignments.iterator():
        colour = lights.sign(a) if a.state == AssignmentState.PENDING else lights.handle(a)
        if at_work and colour in ("yellow", "red"):
            tag = urge_threshold(
                "sign" if a.state == AssignmentState.PENDING else "handle", colour, extended=a.extended
            )
            sent += urge(assignment=a, threshold=tag, by=URGING_JOB)
        if colour == "red" and a.role == Assignment.Role.LEAD and a.state == AssignmentState.SIGNED:
            limit = a.handle_due_at - a.created_at
            if now - a.handle_due_at > limit and not a.appeal.red_listed:
                _red_list(a.appeal_id)
    return sent


def recompute_deadlines() -> int:
    """After an administrator changes the calendar: recompute every open working-day deadline from
    its stored start and limit, in bulk, and record the change on each affected appeal's timeline.
    Clock-hour limits and extended (agreed) dates are left alone. Returns the appeals changed."""
    import numpy as np

    from zhengwu.calendar.workdays import add_working_days_bulk

    cal = get_calendar()
    rows = list(
        Assignment.objects.filter(state__in=[AssignmentState.PENDING, AssignmentState.SIGNED])
        .filter(Q(sign_limit_days__isnull=False) | Q(handle_limit_days__isnull=False))
        .only(
            "id",
            "appeal_id",
            "role",
            "state",
            "sign_due_at",
            "handle_due_at",
            "sign_started_at",
            "sign_limit_days",
            "handle_started_at",
            "handle_limit_days",
        )
    )

    def bulk(starts: list[datetime], days: list[Decimal]) -> list[datetime]:
        if not starts:
            return []
        utc = np.array([s.astimezone(UTC).replace(tzinfo=None) for s in starts], dtype="datetime64[s]")
        out = add_working_days_bulk(cal, utc, np.array([float(d) for d in days]))
        return [datetime.fromisoformat(str(v)).replace(tzinfo=UTC) for v in out]

    changed: dict[int, list[Assignment]] = {}
    signs = [
        (r, r.sign_started_at, r.sign_limit_days)
        for r in rows
        if r.state == AssignmentState.PENDING
        and r.sign_started_at is not None
        and r.sign_limit_days is not None
    ]
    for (r, _, _), due in zip(signs, bulk([s for _, s, _ in signs], [d for _, _, d in signs]), strict=True):
        if due != r.sign_due_at:
            r.sign_due_at = due
            changed.setdefault(r.appeal_id, []).append(r)
    handles = [
        (r, r.handle_started_at, r.handle_limit_days)
        for r in rows
        if r.handle_started_at is not None and r.handle_limit_days is not None
    ]
    for (r, _, _), due in zip(
        handles, bulk([s for _, s, _ in handles], [d for _, _, d in handles]), strict=True
    ):
        if due != r.handle_due_at:
            r.handle_due_at = due
            changed.setdefault(r.appeal_id, []).append(r)
    for appeal_id, assignments in changed.items():
        with transaction.atomic():
            appeal = Appeal.objects.select_for_update().get(pk=appeal_id)
            if not events.row_is_sealed(appeal):
                logger.error("诉求 %s 的记录与轨迹不符，未重算其期限", appeal.number)
                continue
            Assignment.objects.bulk_update(set(assignments), ["sign_due_at", "handle_due_at"])
            lead = next((a for a in assignments if a.role == Assignment.Role.LEAD), None)
            fields = []
            if lead is not None and appeal.due_at != lead.handle_due_at:
                appeal.due_at = lead.handle_due_at
                fields.append("due_at")
            _move(
                appeal,
                "recalculate",
                CALENDAR_CHANGE,
                AppealState(appeal.state),
                public=False,
                fields=fields,
                note="工作日历调整，重新计算期限",
                data={
                    "assignments": {
                        a.pk: {"sign": a.sign_due_at, "handle": a.handle_due_at} for a in assignments
                    }
                },
            )
    return len(changed)


# ---------------------------------------------------------------------------------------------
# 接口客户端 (channel systems, Open311 clients)
# ---------------------------------------------------------------------------------------------


def hash_api_key(key: str) -> str:
    """What ``ApiClient.key_hash`` stores: the SHA-256 of the key, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_api_key(client: ApiClient, *, by: Any) -> str:
    """Give ``client`` (new, or one whose key leaked) a fresh key and return it: it is stored only
    as a hash, so this is the one moment it can be shown. An old key stops working at once."""
    if client.channel not in Channel.values or client.channel == Channel.PROACTIVE:
        raise InvalidInput("渠道不正确：接口客户端只能登记群众和企业的诉求渠道", field="channel")
    if not (client.name or "").strip():
        raise InvalidInput("请填写接口客户端名称", field="name")
    new = client.pk is None
    key = secrets.token_urlsafe(32)
    client.key_hash = hash_api_key(key)
    client.save()
    record(
        actor=by,
        action="appeals.api_client.create" if new else "appeals.api_client.rotate",
        obj=client,
        summary=f"{'新建接口客户端' if new else '重新生成密钥'}：{client.name}",
    )
    return key
