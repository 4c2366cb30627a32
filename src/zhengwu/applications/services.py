"""Every change to an application (办件) goes through here: one function per use case, keyword-only,
atomic, taking the actor, locking the row, checking the transition table and the actor's right to
act (``_may``, the same check ``available_actions`` makes), storing the computed deadline, and
appending a chained event. Pages, the API and tasks call these and nothing else."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.calendar.selectors import get_calendar
from zhengwu.calendar.workdays import Limit, format_days
from zhengwu.casework import domain_events
from zhengwu.casework.actors import Actor, ActorKind, authorise
from zhengwu.casework.attachments import Limits, check_files
from zhengwu.casework.chain import Chain
from zhengwu.casework.deadlines import due_after_pauses
from zhengwu.casework.numbers import daily_number, hash_query_code, new_query_code
from zhengwu.casework.transitions import Action
from zhengwu.catalog.models import CaseType, ItemMaterial, ServiceItem, VersionStatus
from zhengwu.core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from zhengwu.core.text import clean_text as _text
from zhengwu.core.validators import validate_id_number, validate_s10, validate_uscc

from . import documents
from .models import (
    ApplicantKind,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Channel,
    ClockPause,
    Decision,
    Delivery,
    DeliveryMethod,
    MaterialFile,
    MaterialStatus,
    NoticeKind,
    PauseKind,
    SpecialKind,
    SpecialProcedure,
    SupplementRequest,
    WindowAuthorisation,
)
from .workflow import TABLE, WITHDRAWABLE_STATES, ApplicationState

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

S = ApplicationState
STALE = "已被他人修改，请刷新后重试"
NUMBER_PREFIX = "BJ"

# The row fields a person reads on the application page and the lists; the seal covers them.
SEALED_FIELDS = (
    "number",
    "item_id",
    "department_id",
    "channel",
    "applicant_name",
    "applicant_code",
    "contact_phone",
    "state",
    "accepted_at",
    "limit_days",
    "due_at",
    "decision",
    "decision_opinion",
    "result_number",
    "completed_at",
    "delivered_at",
)
CHAIN = Chain(matter=Application, event=ApplicationEvent, fk="application", sealed=SEALED_FIELDS, noun="办件")

# Uploads per material (网上申请, 补正): what the online form promises.
UPLOAD_LIMITS = Limits(max_files=5, max_bytes=10 * 1024 * 1024, field="materials", noun="材料文件")
MAX_DEFER_DAYS = 30  # 容缺 hand-in deadline, in working days


# ---------------------------------------------------------------------------------------------
# Shared mechanics
# ---------------------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _actor(by: Any) -> Actor:
    """Every service names who acts; a request's user becomes an Actor here, None is refused."""
    return Actor.of(by)


def _lock(application: Application, version: int | None) -> Application:
    locked = Application.objects.select_for_update().select_related("item").get(pk=application.pk)
    if version is not None and locked.version != version:
        raise Conflict(STALE, field="version")
    CHAIN.check_sealed(locked)
    return locked


def _window_authorised(application: Application, actor: Actor) -> bool:
    today = timezone.localdate()
    return (
        WindowAuthorisation.objects.filter(
            department_id=application.department_id, clerk_id=actor.pk, valid_from__lte=today
        )
        .exclude(valid_until__lt=today)
        .exists()
    )


# What a child of a 一件事 never does on its own: the bundle application is taken in, refused,
# withdrawn and handed over as a whole (bundles.py).
WHOLE_BUNDLE_ACTIONS = frozenset(
    {"accept", "refuse", "withdraw", "decide_at_window", "hand_over", "post", "confirm_receipt"}
)


def _rule(code: str, application: Application, actor: Actor) -> DomainError | None:
    """The rules of one action beyond the table and the role, on the application itself."""
    if application.bundle_application_id is not None:
        if code in WHOLE_BUNDLE_ACTIONS or (
            code == "request_supplement" and application.state == S.SUBMITTED
        ):
            return Conflict(
                f"该办件属于一件事办件{getattr(application.bundle_application, 'number', '')}，请在一件事办件上整件办理",
                field="bundle_application",
            )
        if code in ("review", "return_to_window") and waiting(application):
            return Conflict(
                f"须待前置事项“{getattr(application.waits_for, 'item', '')}”办结后才能办理该事项",
                field="waits_for",
            )
    if code == "decide_at_window":
        if application.item.case_type != CaseType.IMMEDIATE:
            return Conflict("只有即办件可以在窗口当场决定；承诺件须转后台审批", field="item")
        if not actor.is_system and not _window_authorised(application, actor):
            return NotAllowed(
                f"您没有“{application.department}”的首席代表授权，不能当场决定，请转后台审批", field="item"
            )
    if code == "certify" and not (application.produces_licence and application.decision == Decision.APPROVED):
        return Conflict("该办件不产生证照（或未准予许可），无须制证", field="state")
    if (
        code in ("hand_over", "post")
        and application.state == S.COMPLETED
        and application.produces_licence
        and application.decision == Decision.APPROVED
    ):
        return Conflict("该事项的结果是证照，请先制证再出件", field="state")
    if code == "post" and not application.postal_address:
        return Conflict("申请人未选择邮寄或没有邮寄地址，请改为窗口出件", field="postal_address")
    if (
        code == "request_extension"
        and application.special_procedures.filter(
            kind=SpecialKind.EXTENSION, approval=SpecialProcedure.Approval.PENDING
        ).exists()
    ):
        return Conflict("已有一项延长审批申请待审批", field="extension")
    if code == "decide_extension":
        pending = application.special_procedures.filter(
            kind=SpecialKind.EXTENSION, approval=SpecialProcedure.Approval.PENDING
        ).first()
        if pending is None:
            return Conflict("没有待审批的延长审批申请", field="extension")
        if pending.started_by_id == actor.pk:
            return NotAllowed(
                "延长审批须由本部门另一位审批人员批准，不能自己批准自己的申请", field="extension"
            )
    if code == "hand_in" and not application.materials.filter(status=MaterialStatus.DEFERRED).exists():
        return Conflict("该办件没有待补交的容缺材料", field="materials")
    return None


def waiting(application: Application) -> bool:
    """A child of a 一件事 still waiting for its 前置事项 (its clock stopped)."""
    return (
        application.waits_for_id is not None
        and application.paused_since is not None
        and application.state == S.ACCEPTED
    )


def _may(code: str, application: Application, actor: Actor) -> None:
    """Refuse what the table, the actor's role, department or ownership, or the action's own rules
    do not allow — the one check services and ``available_actions`` both make."""
    spec: Action[ApplicationState] = TABLE[code]
    TABLE.require_state(code, application.state)
    if actor.kind == ActorKind.CITIZEN:
        if not spec.applicant_action:
            raise NotAllowed(f"申请人不能{spec.label}")
        authorise(actor, doing=spec.label, owner_ids=application.applicant_user_ids)
    else:
        authorise(
            actor,
            doing=spec.label,
            permission=spec.permission,
            department_id=application.department_id if spec.department_action else None,
        )
    refusal = _rule(code, application, actor)
    if refusal is not None:
        raise refusal


def _begin(code: str, application: Application, by: Any, version: int | None) -> tuple[Actor, Application]:
    """The opening of every step: who acts, the row locked (stale form and broken seal refused),
    and the one check that the step is allowed."""
    actor = _actor(by)
    application = _lock(application, version)
    _may(code, application, actor)
    return actor, application


def available_actions(application: Application, user: Any) -> list[Action[ApplicationState]]:
    """What ``user`` can do to ``application`` now — what the pages and the API offer."""
    try:
        actor = _actor(user)
    except DomainError:
        return []
    return TABLE.available(application, lambda code: _may(code, application, actor))


def _last_at(application: Application) -> datetime | None:
    return application.events.order_by("-seq").values_list("at", flat=True).first()


def _move(
    application: Application,
    code: str,
    actor: Actor,
    *,
    at: datetime,
    to: ApplicationState | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = True,
    update: Sequence[str] = (),
) -> ApplicationEvent:
    """Move along the table (or stay) and record the step: 业务动作, handler, opinion, its start
    (the previous step's end) and end (GB/T 39046 表5–8)."""
    spec = TABLE[code]
    before = application.state
    target = TABLE.target(code, before, to)
    started = _last_at(application)
    application.state = target
    application.version += 1
    application.save(update_fields=["state", "version", "updated_at", *update])
    payload = {"business_action": spec.business_action, "started_at": started, **(data or {})}
    event: ApplicationEvent = CHAIN.append(
        application,
        action=code,
        actor=actor,
        at=at,
        from_state=before,
        to_state=target,
        note=note,
        data=payload,
        public=public,
    )
    return event


def _recompute_due(application: Application) -> None:
    """承诺办结时间: the limit from acceptance, the clock stopped during every closed pause."""
    if application.accepted_at is None:
        return
    pauses = list(
        application.pauses.filter(ended_at__isnull=False)
        .order_by("started_at")
        .values_list("started_at", "ended_at")
    )
    before = application.due_at
    application.due_at = due_after_pauses(
        application.accepted_at,
        Limit.working_days(application.limit_days),
        [(start, end) for start, end in pauses if end is not None],
    )
    if before is not None and application.due_at > before:
        # A later deadline (a pause ended, an extension approved) is alerted afresh when it nears.
        Application.objects.filter(pk=application.pk).update(yellow_alerted_at=None, red_alerted_at=None)
        application.yellow_alerted_at = application.red_alerted_at = None


def _pause(application: Application, kind: PauseKind, at: datetime) -> None:
    if application.accepted_at is None or application.paused_since is not None:
        return  # before acceptance no clock runs; an open pause already stops it
    ClockPause.objects.create(application=application, kind=kind, started_at=at)
    application.paused_since = at


def _resume(application: Application, at: datetime) -> None:
    if application.paused_since is None:
        return
    application.pauses.filter(ended_at__isnull=True).update(ended_at=at)
    application.paused_since = None
    _recompute_due(application)


# ---------------------------------------------------------------------------------------------
# Applicants
# ---------------------------------------------------------------------------------------------


def _validated(validator: Any, value: str, *, field: str) -> str:
    text = (value or "").strip().upper()
    try:
        validator(text)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from exc
    return text


def find_applicant(code: str) -> Citizen | Enterprise | None:
    """The applicant on file for a 公民身份号码 or 统一社会信用代码, checked first. An all-digit
    code may be either: the person's when it is a valid ID number on file, else the enterprise's
    when it is a valid credit code on file; a code that is neither on file is checked as what it
    looks like (18 digits: an ID number), so a mistyped ID number gets the ID number's message."""
    text = (code or "").strip().upper()
    if not (len(text) == 18 and text[:17].isdigit()):
        return Enterprise.objects.filter(uscc=_validated(validate_uscc, text, field="code")).first()
    if _passes(validate_id_number, text):
        citizen = Citizen.objects.filter(id_number=text).first()
        if citizen is not None:
            return citizen
    if _passes(validate_uscc, text):
        enterprise = Enterprise.objects.filter(uscc=text).first()
        if enterprise is not None:
            return enterprise
    _validated(validate_id_number, text, field="code")
    return None


def _passes(validator: Any, text: str) -> bool:
    try:
        validator(text)
    except ValidationError:
        return False
    return True


@transaction.atomic
def register_applicant(
    *,
    kind: str,
    code: str,
    name: str,
    phone: str = "",
    address: str = "",
    legal_representative: str = "",
    by: Any,
) -> Citizen | Enterprise:
    """Register a new 自然人 or 法人 at the window (or on an online sign-up); an existing one with
    the same number is returned as it is."""
    actor = _actor(by)
    if actor.kind != ActorKind.CITIZEN and not actor.has_perm("applications.act_as_proxy"):
        # a citizen signing up registers themselves; a 帮办代办员 registers the principal
        authorise(actor, doing="登记申请人", permission="applications.accept_application")
    name = _text(name, field="name", label="名称", max_length=200, required=True)
    phone = _text(phone, field="phone", label="联系电话", max_length=20)
    address = _text(address, field="address", label="地址", max_length=200)
    if kind == ApplicantKind.PERSON:
        number = _validated(validate_id_number, code, field="id_number")
        citizen, _ = Citizen.objects.get_or_create(
            id_number=number, defaults={"name": name[:50], "phone": phone, "address": address}
        )
        return citizen
    if kind == ApplicantKind.ORGANISATION:
        number = _validated(validate_uscc, code, field="uscc")
        rep = _text(
            legal_representative,
            field="legal_representative",
            label="法定代表人",
            max_length=50,
            required=True,
        )
        enterprise, _ = Enterprise.objects.get_or_create(
            uscc=number,
            defaults={"name": name, "legal_representative": rep, "phone": phone, "address": address},
        )
        return enterprise
    raise InvalidInput("申请人类型应为自然人或法人", field="applicant_kind")


# ---------------------------------------------------------------------------------------------
# Intake: online and at the window
# ---------------------------------------------------------------------------------------------


@dataclass
class MaterialInput:
    """What the clerk marked for one material of the checklist (or the applicant uploaded)."""

    item_material_id: int
    status: str = MaterialStatus.RECEIVED
    originals: int = 0
    copies: int = 0
    commitment: str = ""  # 容缺: the applicant's signed written commitment
    defer_days: int | None = None  # 容缺: working days to hand it in
    note: str = ""
    files: Sequence[Any] = field(default_factory=list)


@dataclass
class Intake:
    application: Application
    query_code: str | None  # None when an idempotent retry returned the earlier application


def _item_in_force(item: ServiceItem) -> ServiceItem:
    if item.status != VersionStatus.PUBLISHED:
        raise Conflict(f"事项“{item.name}”当前版本未发布，不能申请", field="item")
    return item


def _form_data(item: ServiceItem, form_data: Mapping[str, Any]) -> dict[str, str]:
    """The item's own form: every field it asks for, nothing else, as plain text."""
    known = {f["name"]: f["label"] for f in item.form_fields or []}
    unknown = sorted(set(form_data) - set(known))
    if unknown:
        raise InvalidInput(f"申请表没有“{unknown[0]}”这一项", field=f"form_data.{unknown[0]}")
    out = {}
    for name, label in known.items():
        out[name] = _text(form_data.get(name, ""), field=f"form_data.{name}", label=label, max_length=500)
    return out


def _checklist(item: ServiceItem) -> list[ItemMaterial]:
    return list(item.item_materials.select_related("material").order_by("order", "id"))


def _applicant_fields(applicant: Citizen | Enterprise) -> dict[str, Any]:
    if isinstance(applicant, Citizen):
        return {
            "applicant_kind": ApplicantKind.PERSON,
            "citizen": applicant,
            "applicant_name": applicant.name,
            "applicant_code": applicant.id_number,
        }
    if isinstance(applicant, Enterprise):
        return {
            "applicant_kind": ApplicantKind.ORGANISATION,
            "enterprise": applicant,
            "applicant_name": applicant.name,
            "applicant_code": applicant.uscc,
        }
    raise InvalidInput("请先查找或登记申请人", field="applicant")


def _delivery_fields(
    method: str, recipient: str, phone: str, address: str, *, contact_name: str, contact_phone: str
) -> dict[str, str]:
    if method not in DeliveryMethod.values:
        raise InvalidInput("结果送达方式应为窗口自取或邮寄送达", field="delivery_method")
    if method == DeliveryMethod.PICKUP:
        return {"delivery_method": method, "postal_recipient": "", "postal_phone": "", "postal_address": ""}
    address = _text(address, field="postal_address", label="邮寄地址", max_length=200, required=True)
    return {
        "delivery_method": method,
        "postal_recipient": _text(
            recipient or contact_name, field="postal_recipient", label="收件人", max_length=50
        ),
        "postal_phone": _text(
            phone or contact_phone, field="postal_phone", label="收件人电话", max_length=20
        ),
        "postal_address": address,
    }


def _create(
    *,
    item: ServiceItem,
    actor: Actor,
    channel: str,
    applicant: Citizen | Enterprise,
    contact_name: str,
    contact_phone: str,
    form_data: Mapping[str, Any],
    delivery_method: str,
    postal_recipient: str,
    postal_phone: str,
    postal_address: str,
    idempotency_key: str | None,
    window: Any,
    at: datetime,
    proxy_request: Any = None,
    bundle_application: Any = None,
) -> tuple[Application, str]:
    item = _item_in_force(item)
    contact_name = _text(contact_name, field="contact_name", label="联系人", max_length=50, required=True)
    contact_phone = _text(
        contact_phone, field="contact_phone", label="联系电话", max_length=20, required=True
    )
    code = new_query_code()
    application = Application(
        number=daily_number(NUMBER_PREFIX, kind="application", at=timezone.localdate(at)),
        query_code_hash=hash_query_code(code),
        item=item,
        item_version=item.version,
        department_id=item.department_id,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        form_data=_form_data(item, form_data),
        submitted_by=actor.person,
        window=window,
        submitted_at=at,
        state=S.SUBMITTED,
        idempotency_key=idempotency_key or None,
        agent=actor.person if proxy_request is not None else None,
        proxy_request=proxy_request,
        bundle_application=bundle_application,
        **_applicant_fields(applicant),
        **_delivery_fields(
            delivery_method,
            postal_recipient,
            postal_phone,
            postal_address,
            contact_name=contact_name,
            contact_phone=contact_phone,
        ),
    )
    try:
        with transaction.atomic():
            CHAIN.append(
                application,
                action="submit",
                actor=actor,
                at=at,
                to_state=S.SUBMITTED,
                data={"business_action": "其他", "channel": channel, **_agent_data(actor, proxy_request)},
                first=True,
            )
    except IntegrityError as exc:
        if idempotency_key and Application.objects.filter(idempotency_key=idempotency_key).exists():
            earlier = Application.objects.get(idempotency_key=idempotency_key)
            if earlier.submitted_by_id != actor.pk:  # a key is the submitter's own, never a way in
                raise Conflict("该幂等键已被使用，请为新申请使用新的键", field="idempotency_key") from exc
            raise _Retried(earlier) from exc
        raise
    for n, use in enumerate(_checklist(item)):
        ApplicationMaterial.objects.create(
            application=application,
            item_material=use,
            name=use.material.name,
            required=use.required,
            critical=use.critical,
            order=n,
        )
    from zhengwu.licences.reuse import attach

    attach(application, user=actor.user, at=at)
    return application, code


def _agent_data(actor: Actor, proxy_request: Any) -> dict[str, str]:
    """What a step done by a 帮办代办员 says about it: 代办人 and the request it serves."""
    if proxy_request is None:
        return {}
    return {"agent": actor.label, "proxy_request": proxy_request.number}


def _proxy_check(proxy_request: Any, actor: Actor, item: ServiceItem, applicant: Any) -> None:
    from .proxy import P_PROXY, require_authorisation

    authorise(actor, doing="帮办代办", permission=P_PROXY)
    require_authorisation(proxy_request, actor=actor, item=item, applicant=applicant)


class _Retried(Exception):
    def __init__(self, application: Application) -> None:
        self.application = application


def _save_files(material: ApplicationMaterial, uploads: Sequence[Any], actor: Actor) -> None:
    limits = dataclasses.replace(
        UPLOAD_LIMITS, field=f"materials.{material.pk}", noun=f"“{material.name}”的文件"
    )
    checked = check_files(uploads, limits, already=material.files.count())
    for c in checked:
        row = MaterialFile(
            material=material,
            name=c.name,
            content_type=c.content_type,
            size=c.size,
            sha256=c.sha256,
            uploaded_by=actor.person,
        )
        row.file.save(c.name, c.file, save=False)
        row.save()
        _delete_on_rollback(row)


def _delete_on_rollback(row: MaterialFile) -> None:
    written = _written.get()
    if written is not None:
        written.append((row.file.storage, row.file.name))


_written: ContextVar[list[tuple[Any, str]] | None] = ContextVar("written_files", default=None)


def _cleans_files(service: F) -> F:
    """A refused intake or 补正 leaves no file behind: the rows roll back with the transaction, and
    the files this call wrote are deleted when it raises."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _written.get() is not None:  # an outer service already watches
            return service(*args, **kwargs)
        token = _written.set([])
        try:
            return service(*args, **kwargs)
        except BaseException:
            for storage, name in _written.get() or []:
                storage.delete(name)
            raise
        finally:
            _written.reset(token)

    return wrapper  # type: ignore[return-value]


@_cleans_files
@transaction.atomic
def apply_online(
    *,
    item: ServiceItem,
    by: Any,
    applicant: Citizen | Enterprise,
    contact_name: str,
    contact_phone: str,
    form_data: Mapping[str, Any],
    uploads: Mapping[int, Sequence[Any]],
    delivery_method: str = DeliveryMethod.PICKUP,
    postal_recipient: str = "",
    postal_phone: str = "",
    postal_address: str = "",
    channel: str = Channel.WEB,
    idempotency_key: str | None = None,
    proxy_request: Any = None,
) -> Intake:
    """在线办理: the applicant's own account files the item's form and a file for each material;
    the application waits for the window's 预审 (待预审). ``uploads`` maps ItemMaterial ids to
    files; every required material needs at least one file, or it is named in the refusal."""
    actor = _actor(by)
    if proxy_request is not None:  # 帮办代办: the agent files for the principal under a 委托书
        _proxy_check(proxy_request, actor, item, applicant)
    elif actor.kind == ActorKind.CITIZEN:
        owners = _applicant_owner_ids(applicant)
        if actor.pk not in owners:
            raise NotAllowed("只能以本人或本单位（经办人账号）名义申请", field="applicant")
    else:
        authorise(actor, doing="代为网上申请", permission="applications.accept_application")
    if item.online_depth < 2:
        raise Conflict(f"事项“{item.name}”只能到窗口办理，不能网上申请", field="item")
    at = _now()
    try:
        application, code = _create(
            item=item,
            actor=actor,
            channel=channel,
            applicant=applicant,
            contact_name=contact_name,
            contact_phone=contact_phone,
            form_data=form_data,
            delivery_method=delivery_method,
            postal_recipient=postal_recipient,
            postal_phone=postal_phone,
            postal_address=postal_address,
            idempotency_key=idempotency_key,
            window=None,
            at=at,
            proxy_request=proxy_request,
        )
    except _Retried as retry:
        return Intake(retry.application, None)
    by_use = {m.item_material_id: m for m in application.materials.all()}
    unknown = sorted(set(uploads) - set(by_use))
    if unknown:
        raise InvalidInput("上传的材料不在该事项的材料清单中", field=f"materials.{unknown[0]}")
    for use_id, material in by_use.items():
        files = list(uploads.get(use_id) or [])
        if not files:
            if material.required and material.licence_id is None:
                raise InvalidInput(f"请上传“{material.name}”", field=f"materials.{use_id}")
            continue
        _save_files(material, files, actor)
        material.status, material.licence, material.note = MaterialStatus.RECEIVED, None, ""
        material.save(update_fields=["status", "licence", "note"])
    return Intake(application, code)


def _applicant_owner_ids(applicant: Citizen | Enterprise) -> set[int]:
    if isinstance(applicant, Citizen):
        return {applicant.user_id} if applicant.user_id else set()
    return set(applicant.users.values_list("id", flat=True))


def _mark_materials(
    application: Application, inputs: Sequence[MaterialInput], actor: Actor, at: datetime
) -> None:
    """Record the checklist as the clerk marked it and check it is complete for 受理: every required
    material 已收, 免提交, 不适用, or 容缺 (non-critical, with the signed commitment and a deadline)."""
    by_use = {m.item_material_id: m for m in application.materials.all()}
    given = {i.item_material_id: i for i in inputs}
    unknown = sorted(set(given) - set(by_use))
    if unknown:
        raise InvalidInput("材料不在该事项的材料清单中", field=f"materials.{unknown[0]}")
    cal = get_calendar()
    for use_id, material in by_use.items():
        mark = given.get(use_id)
        if mark is None:
            if material.status in (MaterialStatus.RECEIVED, MaterialStatus.EXEMPT):
                continue  # uploaded online, or (一件事) provided by another item's result
            if material.required:
                raise InvalidInput(
                    f"“{material.name}”未收取：请标为已收、容缺、免提交或不适用", field=f"materials.{use_id}"
                )
            material.status = MaterialStatus.NOT_APPLICABLE
            material.save(update_fields=["status"])
            continue
        if mark.status not in MaterialStatus.values or mark.status == MaterialStatus.PENDING:
            raise InvalidInput(f"“{material.name}”的收取情况无效", field=f"materials.{use_id}")
        note = _text(mark.note, field=f"materials.{use_id}", label="备注", max_length=500)
        if material.licence_id is not None and mark.status == MaterialStatus.EXEMPT:
            continue  # 免提交 by the licence already attached
        if material.licence_id is not None:
            if mark.status == MaterialStatus.RECEIVED and not note:
                raise InvalidInput(
                    f"“{material.name}”已由电子证照提供、免提交；如仍需纸质材料，请填写原因",
                    field=f"materials.{use_id}",
                )
            note = f"已有电子证照，仍收取纸质材料：{note}" if note else ""
            material.licence = None
        material.status = mark.status
        material.note = note
        material.originals = material.copies = 0
        material.commitment, material.deferred_until = "", None
        if mark.status == MaterialStatus.RECEIVED:
            if mark.originals < 0 or mark.copies < 0 or mark.originals + mark.copies == 0:
                raise InvalidInput(
                    f"“{material.name}”已收时请填写原件或复印件份数", field=f"materials.{use_id}"
                )
            material.originals, material.copies = mark.originals, mark.copies
        elif mark.status == MaterialStatus.DEFERRED:
            if material.critical:
                raise InvalidInput(f"“{material.name}”是关键材料，不能容缺受理", field=f"materials.{use_id}")
            material.commitment = _text(
                mark.commitment, field=f"materials.{use_id}", label="容缺承诺", max_length=500, required=True
            )
            days = mark.defer_days
            if days is None or not 1 <= days <= MAX_DEFER_DAYS:
                raise InvalidInput(
                    f"“{material.name}”容缺补交期限应为1至{MAX_DEFER_DAYS}个工作日",
                    field=f"materials.{use_id}",
                )
            material.deferred_until = cal.add_working_days(timezone.localdate(at), days)
        elif mark.status == MaterialStatus.NOT_APPLICABLE and material.required:
            raise InvalidInput(f"“{material.name}”是必要材料，不能标为不适用", field=f"materials.{use_id}")
        material.save()
        if mark.files:
            _save_files(material, mark.files, actor)


def _accept(
    application: Application,
    actor: Actor,
    at: datetime,
    note: str = "",
    *,
    notice: bool = True,
    limit_days: Decimal | None = None,
) -> None:
    """受理 proper: the clock starts (from ``limit_days``, the item's promised limit unless a
    一件事 grants its children more) and, unless the bundle issues one for all, the notice."""
    application.accepted_at = at
    application.accepted_by = actor.person
    application.limit_days = application.item.promised_limit_days if limit_days is None else limit_days
    _recompute_due(application)
    _move(
        application,
        "accept",
        actor,
        at=at,
        note=note,
        update=["accepted_at", "accepted_by", "limit_days", "due_at"],
    )
    if notice:
        documents.issue(application, NoticeKind.ACCEPTANCE, by=actor, at=at)
    domain_events.publish("application_accepted", application_id=application.pk)


@_cleans_files
@transaction.atomic
def accept(
    *,
    application: Application,
    by: Any,
    materials: Sequence[MaterialInput] = (),
    note: str = "",
    version: int | None = None,
) -> Application:
    """受理: the checklist is complete (容缺 allowed for non-critical materials); the clock starts
    and the 受理通知书 is issued with the 承诺办结时间."""
    actor, application = _begin("accept", application, by, version)
    at = _now()
    _mark_materials(application, materials, actor, at)
    _accept(application, actor, at, _text(note, field="note", label="受理意见", max_length=1000))
    return application


@transaction.atomic
def refuse(
    *, application: Application, by: Any, reason: str, remedy: str = "", version: int | None = None
) -> Application:
    """不予受理, with the reason and the remedy (复议、诉讼) on the notice."""
    actor, application = _begin("refuse", application, by, version)
    reason = _text(reason, field="reason", label="不予受理理由", max_length=1000, required=True)
    remedy = _text(
        remedy
        or "如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，或者在六个月内依法提起行政诉讼。",
        field="remedy",
        label="救济途径",
        max_length=500,
    )
    at = _now()
    application.closed_at = at
    _move(application, "refuse", actor, at=at, note=reason, data={"remedy": remedy}, update=["closed_at"])
    documents.issue(application, NoticeKind.REFUSAL, by=actor, at=at, reason=reason, remedy=remedy)
    return application


@transaction.atomic
def request_supplement(
    *,
    application: Application,
    by: Any,
    items: Sequence[Mapping[str, Any]],
    version: int | None = None,
) -> SupplementRequest:
    """补正 — 一次性告知: every missing or defective material in one notice, each with its reason.
    A later round must name at least one material no earlier round named (it is flagged as 二次补正
    for the statistics); the clock, if it runs, stops until the applicant supplies."""
    actor, application = _begin("request_supplement", application, by, version)
    if not items:
        raise InvalidInput("请列出需要补正的材料及原因（一次性告知）", field="items")
    by_id = {m.pk: m for m in application.materials.all()}
    listed: list[dict[str, Any]] = []
    for n, entry in enumerate(items):
        try:
            material = by_id[int(entry.get("material_id"))]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("补正的材料不属于该办件", field=f"items.{n}.material_id") from None
        reason = _text(
            entry.get("reason"), field=f"items.{n}.reason", label="补正原因", max_length=500, required=True
        )
        listed.append({"material_id": material.pk, "name": material.name, "reason": reason})
    if len({i["material_id"] for i in listed}) != len(listed):
        raise InvalidInput("同一材料只能列一次", field="items")
    earlier = {i["material_id"] for r in application.supplement_requests.all() for i in r.items}
    rounds = application.supplement_rounds + 1
    if rounds > 1 and not ({i["material_id"] for i in listed} - earlier):
        raise InvalidInput(
            "第二次补正只能告知新发现的问题：所列材料在前次一次性告知中都已列出，请注明新增的补正材料",
            field="items",
        )
    at = _now()
    request = SupplementRequest.objects.create(
        application=application,
        round=rounds,
        items=listed,
        repeated=rounds > 1,
        issued_at=at,
        issued_by=actor.person,
    )
    application.supplement_rounds = rounds
    _pause(application, PauseKind.SUPPLEMENT, at)
    _move(
        application,
        "request_supplement",
        actor,
        at=at,
        note="；".join(f"{i['name']}：{i['reason']}" for i in listed),
        data={"round": rounds, "materials": [i["material_id"] for i in listed]},
        update=["supplement_rounds", "paused_since"],
    )
    documents.issue(application, NoticeKind.SUPPLEMENT, by=actor, at=at, round=rounds, items=listed)
    return request


@_cleans_files
@transaction.atomic
def supply(
    *,
    application: Application,
    by: Any,
    uploads: Mapping[int, Sequence[Any]] = {},
    materials: Sequence[MaterialInput] = (),
    note: str = "",
    version: int | None = None,
) -> Application:
    """补正材料: the applicant uploads (online, ``uploads`` by ApplicationMaterial id) or the clerk
    receives them at the window (``materials``). Every material the open 补正 named must come; the
    application goes back to 预审 (never accepted yet) or to 审查 (the clock runs again)."""
    actor, application = _begin("supply", application, by, version)
    request = application.supplement_requests.filter(supplied_at__isnull=True).order_by("-round").first()
    named = {i["material_id"]: i["name"] for i in (request.items if request else [])}
    by_id = {m.pk: m for m in application.materials.filter(pk__in=named)}
    given_at_window = {m.item_material_id for m in materials}
    for material_id, name in named.items():
        material = by_id[material_id]
        files = list(uploads.get(material_id) or [])
        if files:
            _save_files(material, files, actor)
        elif material.item_material_id not in given_at_window:
            raise InvalidInput(f"请补正“{name}”", field=f"materials.{material_id}")
        material.status = MaterialStatus.RECEIVED
        material.save(update_fields=["status"])
    stray = sorted(set(uploads) - set(named))
    if stray:
        raise InvalidInput("只需补正通知中列出的材料", field=f"materials.{stray[0]}")
    at = _now()
    if materials:
        _mark_materials(application, materials, actor, at)
    if request is not None:
        request.supplied_at = at
        request.save(update_fields=["supplied_at"])
    _resume(application, at)
    target = S.REVIEWING if application.accepted_at is not None else S.SUBMITTED
    _move(
        application,
        "supply",
        actor,
        at=at,
        to=target,
        note=_text(note, field="note", label="补正说明", max_length=1000),
        update=["paused_since", "due_at"],
    )
    return application


@_cleans_files
@transaction.atomic
def window_intake(
    *,
    item: ServiceItem,
    by: Any,
    applicant: Citizen | Enterprise,
    contact_name: str,
    contact_phone: str,
    form_data: Mapping[str, Any],
    materials: Sequence[MaterialInput],
    outcome: str,
    delivery_method: str = DeliveryMethod.PICKUP,
    postal_recipient: str = "",
    postal_phone: str = "",
    postal_address: str = "",
    reason: str = "",
    remedy: str = "",
    supplement: Sequence[Mapping[str, Any]] = (),
    window: Any = None,
    idempotency_key: str | None = None,
    proxy_request: Any = None,
) -> Intake:
    """综合受理 (无差别受理): one screen for any item of any department. ``outcome``: "accept"
    (受理通知书), "refuse" (不予受理通知书) or "supplement" (一次性告知书; ``supplement`` entries
    are {"item_material_id", "reason"}). All or nothing.

    帮办代办: with ``proxy_request`` the agent (``by``) hands the principal's application and
    materials in at the window under a 委托书 covering the item today; the outcome is "submit" — the
    application waits for the 综合受理窗口's 预审 like an online one, since acceptance stays the
    window's decision (受审分离), and the agent is recorded on it and on its submit step."""
    actor = _actor(by)
    if proxy_request is not None:
        _proxy_check(proxy_request, actor, item, applicant)
        if outcome != "submit":
            raise InvalidInput("代办申请提交后由综合受理窗口预审受理，受理结果应为“提交”", field="outcome")
    else:
        authorise(actor, doing="窗口受理", permission="applications.accept_application")
        if outcome not in ("accept", "refuse", "supplement"):
            raise InvalidInput("受理结果应为受理、不予受理或补正", field="outcome")
    at = _now()
    try:
        application, code = _create(
            item=item,
            actor=actor,
            channel=Channel.WINDOW,
            applicant=applicant,
            contact_name=contact_name,
            contact_phone=contact_phone,
            form_data=form_data,
            delivery_method=delivery_method,
            postal_recipient=postal_recipient,
            postal_phone=postal_phone,
            postal_address=postal_address,
            idempotency_key=idempotency_key,
            window=window or getattr(actor.user, "window", None),
            at=at,
            proxy_request=proxy_request,
        )
    except _Retried as retry:
        return Intake(retry.application, None)
    if outcome == "submit":
        by_use = {m.item_material_id: m for m in application.materials.all()}
        for mark in materials:
            row = by_use.get(mark.item_material_id)
            if row is None:
                raise InvalidInput("材料不在该事项的材料清单中", field=f"materials.{mark.item_material_id}")
            if mark.status == MaterialStatus.RECEIVED and row.licence_id is None:
                row.status, row.originals, row.copies = mark.status, mark.originals, mark.copies
                row.save(update_fields=["status", "originals", "copies"])
                if mark.files:
                    _save_files(row, mark.files, actor)
    elif outcome == "accept":
        accept(application=application, by=actor, materials=materials)
    elif outcome == "refuse":
        refuse(application=application, by=actor, reason=reason, remedy=remedy)
    else:
        if materials:
            marks = [m for m in materials if m.status != MaterialStatus.PENDING]
            by_use = {m.item_material_id: m for m in application.materials.all()}
            for mark in marks:
                if mark.item_material_id in by_use and mark.status == MaterialStatus.RECEIVED:
                    row = by_use[mark.item_material_id]
                    row.status, row.originals, row.copies = mark.status, mark.originals, mark.copies
                    row.save(update_fields=["status", "originals", "copies"])
        # At the window the checklist rows are made here: 补正 entries name the item's material.
        rows = {m.item_material_id: m.pk for m in application.materials.all()}
        items = [
            {**entry, "material_id": rows.get(int(entry["item_material_id"]), -1)}
            if "item_material_id" in entry
            else dict(entry)
            for entry in supplement
        ]
        request_supplement(application=application, by=actor, items=items)
    application.refresh_from_db()
    if (clerk := actor.user) is not None and clerk.is_staff and getattr(clerk, "window", None) is not None:
        from zhengwu.ratings import pads

        pads.record_visit(clerk.window, clerk, "intake", item.name, application=application, item=item, at=at)
    return Intake(application, code)


@transaction.atomic
def decide_at_window(
    *,
    application: Application,
    by: Any,
    approved: bool,
    opinion: str,
    result_number: str = "",
    version: int | None = None,
) -> Application:
    """即办件 decided at the window by a clerk the department authorised (首席代表授权): 立等可取."""
    actor, application = _begin("decide_at_window", application, by, version)
    at = _now()
    opinion = _text(opinion, field="opinion", label="决定意见", max_length=1000, required=True)
    _decision_fields(application, actor, approved, opinion, at)
    application.on_the_spot = True
    _result_fields(application, result_number, at)
    _move(
        application,
        "decide_at_window",
        actor,
        at=at,
        note=opinion,
        data={"decision": application.decision, "result_number": application.result_number},
        update=[*DECISION_FIELDS, *RESULT_FIELDS, "on_the_spot"],
    )
    documents.issue(
        application,
        NoticeKind.APPROVAL if approved else NoticeKind.DENIAL,
        by=actor,
        at=at,
        opinion=opinion,
    )
    domain_events.publish("application_completed", application_id=application.pk, approved=approved)
    return application


@transaction.atomic
def hand_in(
    *,
    application: Application,
    by: Any,
    material_id: int,
    originals: int = 1,
    copies: int = 0,
    version: int | None = None,
) -> ApplicationMaterial:
    """补交容缺材料: the material promised at 容缺受理 arrives; the flag clears once none is left."""
    actor, application = _begin("hand_in", application, by, version)
    material = application.materials.filter(pk=material_id, status=MaterialStatus.DEFERRED).first()
    if material is None:
        raise InvalidInput("该材料不是待补交的容缺材料", field="material_id")
    if originals < 0 or copies < 0 or originals + copies == 0:
        raise InvalidInput("请填写补交的原件或复印件份数", field="originals")
    at = _now()
    material.status = MaterialStatus.RECEIVED
    material.originals, material.copies, material.handed_in_at = originals, copies, at
    material.save(update_fields=["status", "originals", "copies", "handed_in_at"])
    still = application.materials.filter(
        status=MaterialStatus.DEFERRED, deferred_until__lt=timezone.localdate(at)
    )
    application.deferred_overdue = still.exists()
    _move(
        application,
        "hand_in",
        actor,
        at=at,
        note=f"补交容缺材料“{material.name}”",
        data={"material_id": material.pk},
        update=["deferred_overdue"],
    )
    return material


# ---------------------------------------------------------------------------------------------
# Back office (受审分离)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def review(*, application: Application, by: Any, note: str = "", version: int | None = None) -> Application:
    """审查 begins: the department's approver takes the accepted application."""
    actor, application = _begin("review", application, by, version)
    _move(
        application,
        "review",
        actor,
        at=_now(),
        note=_text(note, field="note", label="审查意见", max_length=1000),
    )
    return application


@transaction.atomic
def return_to_window(
    *, application: Application, by: Any, reason: str, version: int | None = None
) -> Application:
    """退回窗口: the back office sends it back to the window with the reason (e.g. 需补正)."""
    actor, application = _begin("return_to_window", application, by, version)
    reason = _text(reason, field="reason", label="退回理由", max_length=1000, required=True)
    _move(application, "return_to_window", actor, at=_now(), note=reason, public=False)
    return application


@transaction.atomic
def forward(*, application: Application, by: Any, note: str, version: int | None = None) -> Application:
    """The window answers a return without 补正 (e.g. explains) and sends it back to 审查."""
    actor, application = _begin("forward", application, by, version)
    note = _text(note, field="note", label="说明", max_length=1000, required=True)
    _move(application, "forward", actor, at=_now(), note=note, public=False)
    return application


@transaction.atomic
def start_special(
    *, application: Application, by: Any, kind: str, reason: str, version: int | None = None
) -> SpecialProcedure:
    """特别程序 (专家评审, 听证, 现场勘查, 公示): the clock stops until it ends."""
    actor, application = _begin("start_special", application, by, version)
    if kind not in SpecialKind.values or kind == SpecialKind.EXTENSION:
        raise InvalidInput("特别程序种类应为专家评审、听证、现场勘查或公示（延长审批另行申请）", field="kind")
    reason = _text(reason, field="reason", label="启动理由", max_length=500, required=True)
    at = _now()
    procedure = SpecialProcedure.objects.create(
        application=application, kind=kind, reason=reason, started_at=at, started_by=actor.person
    )
    _pause(application, PauseKind.SPECIAL, at)
    _move(
        application,
        "start_special",
        actor,
        at=at,
        note=f"{SpecialKind(kind).label}：{reason}",
        data={"procedure": procedure.pk, "kind": kind},
        update=["paused_since"],
    )
    return procedure


@transaction.atomic
def end_special(
    *, application: Application, by: Any, result: str, version: int | None = None
) -> SpecialProcedure:
    actor, application = _begin("end_special", application, by, version)
    procedure = (
        application.special_procedures.exclude(kind=SpecialKind.EXTENSION)
        .filter(ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if procedure is None:  # the state says one runs; the rows must agree
        raise Conflict("没有进行中的特别程序", field="state")
    result = _text(result, field="result", label="特别程序结果", max_length=500, required=True)
    at = _now()
    procedure.ended_at, procedure.result = at, result
    procedure.save(update_fields=["ended_at", "result"])
    _resume(application, at)
    _move(
        application,
        "end_special",
        actor,
        at=at,
        note=f"{procedure.get_kind_display()}结束：{result}",
        data={"procedure": procedure.pk},
        update=["paused_since", "due_at"],
    )
    return procedure


@transaction.atomic
def request_extension(
    *, application: Application, by: Any, days: Any, reason: str, version: int | None = None
) -> SpecialProcedure:
    """延长审批: more working days, granted only when another approver of the department approves."""
    actor, application = _begin("request_extension", application, by, version)
    try:
        amount = Decimal(str(days))
    except (InvalidOperation, ValueError):
        raise InvalidInput("延长时限应为数字（工作日）", field="days") from None
    if not amount.is_finite() or amount <= 0 or amount > application.item.legal_limit_days:
        raise InvalidInput(
            f"延长时限应大于0且不超过法定时限（{format_days(application.item.legal_limit_days)}个工作日）",
            field="days",
        )
    reason = _text(reason, field="reason", label="延长理由", max_length=500, required=True)
    at = _now()
    procedure = SpecialProcedure.objects.create(
        application=application,
        kind=SpecialKind.EXTENSION,
        reason=reason,
        started_at=at,
        started_by=actor.person,
        extension_days=amount,
        approval=SpecialProcedure.Approval.PENDING,
    )
    _move(
        application,
        "request_extension",
        actor,
        at=at,
        note=f"申请延长{amount}个工作日：{reason}",
        data={"procedure": procedure.pk, "days": str(amount)},
        public=False,
    )
    return procedure


@transaction.atomic
def decide_extension(
    *, application: Application, by: Any, approve: bool, note: str = "", version: int | None = None
) -> SpecialProcedure:
    """Approve or reject the pending 延长审批; only an approval moves the 承诺办结时间."""
    actor, application = _begin("decide_extension", application, by, version)
    procedure = application.special_procedures.get(
        kind=SpecialKind.EXTENSION, approval=SpecialProcedure.Approval.PENDING
    )
    at = _now()
    procedure.approval = SpecialProcedure.Approval.APPROVED if approve else SpecialProcedure.Approval.REJECTED
    procedure.approved_by, procedure.ended_at = actor.person, at
    procedure.result = _text(note, field="note", label="审批意见", max_length=500)
    procedure.save(update_fields=["approval", "approved_by", "ended_at", "result"])
    if approve:
        application.limit_days += procedure.extension_days or 0
        _recompute_due(application)
    _move(
        application,
        "decide_extension",
        actor,
        at=at,
        note=("批准" if approve else "不批准") + f"延长审批。{procedure.result}".rstrip("。"),
        data={"procedure": procedure.pk, "approved": approve},
        update=["limit_days", "due_at"],
    )
    return procedure


DECISION_FIELDS = ("decision", "decision_opinion", "decided_at", "decided_by")
RESULT_FIELDS = ("result_name", "result_number", "completed_at", "handling_days")


def _decision_fields(
    application: Application, actor: Actor, approved: bool, opinion: str, at: datetime
) -> None:
    application.decision = Decision.APPROVED if approved else Decision.DENIED
    application.decision_opinion = opinion
    application.decided_at, application.decided_by = at, actor.person


def _result_fields(application: Application, result_number: str, at: datetime) -> None:
    item = application.item
    application.result_name = (
        (item.result_name or f"{item.name}决定")
        if application.decision == Decision.APPROVED
        else "不予许可决定书"
    )
    application.result_number = _text(result_number, field="result_number", label="结果文号", max_length=100)
    application.completed_at = at
    application.handling_days = handling_days(application)


def handling_days(application: Application) -> Decimal | None:
    """办理用时 of a completed application, stored at 办结 as the deadlines are: working days from
    受理 to 办结 by the working-day calendar (调休 included), less its closed clock pauses (补正,
    特别程序, 等待前置事项); None before 受理 or 办结. The statistics' 办理时长 sums it."""
    if application.accepted_at is None or application.completed_at is None:
        return None
    pauses = [
        (start, end)
        for start, end in application.pauses.filter(ended_at__isnull=False)
        .order_by("started_at")
        .values_list("started_at", "ended_at")
        if end is not None
    ]
    days = get_calendar().working_days_between(
        application.accepted_at, application.completed_at, pauses=pauses
    )
    return max(days, Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def decide(
    *, application: Application, by: Any, approved: bool, opinion: str, version: int | None = None
) -> Application:
    """决定: 准予 or 不予许可, with the opinion; the decision document is issued."""
    actor, application = _begin("decide", application, by, version)
    opinion = _text(opinion, field="opinion", label="决定意见", max_length=1000, required=True)
    at = _now()
    _decision_fields(application, actor, approved, opinion, at)
    _move(
        application,
        "decide",
        actor,
        at=at,
        note=opinion,
        data={"decision": application.decision},
        update=list(DECISION_FIELDS),
    )
    documents.issue(
        application, NoticeKind.APPROVAL if approved else NoticeKind.DENIAL, by=actor, at=at, opinion=opinion
    )
    return application


@transaction.atomic
def complete(
    *, application: Application, by: Any, result_number: str = "", version: int | None = None
) -> Application:
    """办结: the result (批文 / 证照编号 / 决定书) recorded; the application goes to 出件 (or 制证)."""
    actor, application = _begin("complete", application, by, version)
    at = _now()
    _result_fields(application, result_number, at)
    _move(
        application,
        "complete",
        actor,
        at=at,
        note=f"办理结果：{application.result_name}{('，文号' + application.result_number) if application.result_number else ''}",
        data={"result_number": application.result_number},
        update=list(RESULT_FIELDS),
    )
    domain_events.publish(
        "application_completed",
        application_id=application.pk,
        approved=application.decision == Decision.APPROVED,
    )
    _tell_bundle(application, actor, at)
    return application


@transaction.atomic
def certify(
    *, application: Application, by: Any, licence_number: str = "", version: int | None = None
) -> Application:
    """制证: the electronic licence the item produces is made from the decision and the applicant's
    data and sealed by the department (licences.services.issue_for_application); its 证照编号 —
    the one given, else its 流水号 — is the result number."""
    from zhengwu.licences.services import issue_for_application

    actor, application = _begin("certify", application, by, version)
    number = _text(licence_number, field="licence_number", label="证照编号", max_length=100)
    at = _now()
    licence = issue_for_application(application, by=actor.user, number=number, at=at)
    application.result_number, application.certified_at = licence.number, at
    _move(
        application,
        "certify",
        actor,
        at=at,
        note=f"已制证：{licence.licence_type.name} {licence.number}（证照标识 {licence.identifier}）",
        data={"licence_identifier": licence.identifier},
        update=["result_number", "certified_at"],
    )
    _tell_bundle(application, actor, at)
    return application


def _tell_bundle(application: Application, actor: Actor, at: datetime) -> None:
    """A child of a 一件事 has a result: start what waited for it, apply the bundle's rule on a
    refusal, and complete the bundle application when every child is done — in this transaction."""
    if application.bundle_application_id is not None:
        from . import bundles

        bundles.child_settled(application, actor, at)


# ---------------------------------------------------------------------------------------------
# 出件
# ---------------------------------------------------------------------------------------------


def recipient(
    applicant: Any, recipient_name: str, recipient_id_number: str, by_proxy: bool, proxy_authorisation: str
) -> tuple[str, str, str]:
    """Who collects at the window: (name, ID number, 委托书 note); the applicant in person, or 代领
    with a 委托书. ``applicant``: an application or a 一件事办件."""
    name = _text(recipient_name, field="recipient_name", label="领取人姓名", max_length=50, required=True)
    number = _validated(validate_id_number, recipient_id_number, field="recipient_id_number")
    proxy_note = _text(proxy_authorisation, field="proxy_authorisation", label="委托书", max_length=200)
    own = applicant.citizen is not None and applicant.citizen.id_number == number
    if by_proxy and not proxy_note:
        raise InvalidInput("代领须收取申请人签署的委托书，请填写委托书情况", field="proxy_authorisation")
    if not own and not by_proxy and applicant.applicant_kind == ApplicantKind.PERSON:
        raise InvalidInput("领取人不是申请人本人：代领请勾选“代领”并收取委托书", field="recipient_id_number")
    return name, number, proxy_note


def _handed_over(
    application: Application,
    actor: Actor,
    at: datetime,
    name: str,
    number: str,
    by_proxy: bool,
    proxy_note: str,
) -> Delivery:
    delivery, _ = Delivery.objects.update_or_create(
        application=application,
        defaults={
            "method": DeliveryMethod.PICKUP,
            "recipient_name": name,
            "recipient_id_number": number,
            "by_proxy": by_proxy,
            "proxy_authorisation": proxy_note,
            "handed_over_at": at,
            "handled_by": actor.person,
        },
    )
    application.delivered_at = application.closed_at = at
    _move(
        application,
        "hand_over",
        actor,
        at=at,
        note=f"{'代领' if by_proxy else '本人领取'}：{name}",
        update=["delivered_at", "closed_at"],
    )
    domain_events.publish("application_delivered", application_id=application.pk)
    return delivery


@transaction.atomic
def hand_over(
    *,
    application: Application,
    by: Any,
    recipient_name: str,
    recipient_id_number: str,
    by_proxy: bool = False,
    proxy_authorisation: str = "",
    version: int | None = None,
) -> Delivery:
    """窗口出件 against the recipient's ID: the applicant (or their 经办人), or 代领 with a 委托书."""
    actor, application = _begin("hand_over", application, by, version)
    name, number, proxy_note = recipient(
        application, recipient_name, recipient_id_number, by_proxy, proxy_authorisation
    )
    at = _now()
    delivery = _handed_over(application, actor, at, name, number, by_proxy, proxy_note)
    documents.issue(application, NoticeKind.SERVICE, by=actor, at=at, recipient=name, method="窗口领取")
    if (clerk := actor.user) is not None and getattr(clerk, "window", None) is not None:
        from zhengwu.ratings import pads

        pads.record_visit(
            clerk.window,
            clerk,
            "delivery",
            f"出件：{application.item.name}",
            application,
            item=application.item,
            at=at,
        )
    return delivery


def tracking(tracking_number: str) -> str:
    return _validated(validate_s10, tracking_number, field="tracking_number")


def _posted(application: Application, actor: Actor, at: datetime, number: str) -> Delivery:
    delivery, _ = Delivery.objects.update_or_create(
        application=application,
        defaults={
            "method": DeliveryMethod.POST,
            "recipient_name": application.postal_recipient or application.contact_name,
            "tracking_number": number,
            "sent_on": at,
            "handled_by": actor.person,
        },
    )
    _move(application, "post", actor, at=at, note=f"已邮寄，邮件号{number}", data={"tracking_number": number})
    return delivery


@transaction.atomic
def post(*, application: Application, by: Any, tracking_number: str, version: int | None = None) -> Delivery:
    """邮寄出件 with the EMS 邮件号 (UPU S10, check digit verified); the applicant is told by SMS."""
    actor, application = _begin("post", application, by, version)
    number = tracking(tracking_number)
    delivery = _posted(application, actor, _now(), number)
    transaction.on_commit(lambda: _text_posted(application.pk))
    return delivery


def _text_posted(application_id: int) -> None:
    from . import notify

    notify.posted(application_id)


def received_when(sent_on: datetime | None, received_on: datetime | None, at: datetime) -> datetime:
    when = received_on or at
    if sent_on and when < sent_on:
        raise InvalidInput("签收时间不能早于寄出时间", field="received_on")
    if when > at:
        raise InvalidInput("签收时间不能晚于现在", field="received_on")
    return when


def _received(application: Application, actor: Actor, at: datetime, when: datetime) -> Delivery:
    delivery = application.delivery
    delivery.received_on = when
    delivery.save(update_fields=["received_on"])
    application.delivered_at = application.closed_at = when
    _move(
        application, "confirm_receipt", actor, at=at, note="邮件已签收", update=["delivered_at", "closed_at"]
    )
    domain_events.publish("application_delivered", application_id=application.pk)
    return delivery


@transaction.atomic
def confirm_receipt(
    *, application: Application, by: Any, received_on: datetime | None = None, version: int | None = None
) -> Delivery:
    """邮件签收: the post says it was received; that is the 出件."""
    actor, application = _begin("confirm_receipt", application, by, version)
    at = _now()
    when = received_when(application.delivery.sent_on, received_on, at)
    delivery = _received(application, actor, at, when)
    documents.issue(
        application,
        NoticeKind.SERVICE,
        by=actor,
        at=at,
        recipient=delivery.recipient_name,
        method="邮寄送达",
        tracking_number=delivery.tracking_number,
    )
    return delivery


@transaction.atomic
def archive(*, application: Application, by: Any, version: int | None = None) -> Application:
    actor, application = _begin("archive", application, by, version)
    at = _now()
    application.closed_at = application.closed_at or at
    _move(application, "archive", actor, at=at, update=["closed_at"], public=False)
    return application


@transaction.atomic
def withdraw(*, application: Application, by: Any, reason: str, version: int | None = None) -> Application:
    """撤回 by the applicant (online, or through the window) while nothing is decided."""
    actor, application = _begin("withdraw", application, by, version)
    reason = _text(reason, field="reason", label="撤回理由", max_length=500, required=True)
    at = _now()
    _resume(application, at)  # the stored deadline stays the formula's, pauses included
    application.closed_at = at
    _move(application, "withdraw", actor, at=at, note=reason, update=["closed_at", "paused_since", "due_at"])
    return application


# ---------------------------------------------------------------------------------------------
# Periodic: alerts and 容缺 past its deadline
# ---------------------------------------------------------------------------------------------


def flag_overdue_deferred(now: datetime | None = None) -> int:
    """Applications with a 容缺 material past its hand-in deadline are flagged and their department
    told — once; never silently dropped. Idempotent."""
    from . import notify

    now = now or _now()
    today = timezone.localdate(now)
    late = (
        Application.objects.filter(
            deferred_overdue=False,
            materials__status=MaterialStatus.DEFERRED,
            materials__deferred_until__lt=today,
        )
        .exclude(state__in=[S.WITHDRAWN, S.ARCHIVED, S.NOT_ACCEPTED])
        .distinct()
        .values_list("pk", flat=True)
    )
    count = 0
    for pk in list(late):
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=pk)
            if application.deferred_overdue:
                continue
            CHAIN.check_sealed(application)
            application.deferred_overdue = True
            application.save(update_fields=["deferred_overdue", "updated_at"])
            CHAIN.append(
                application,
                action="deferred_overdue",
                actor=Actor.system("容缺材料逾期检查"),
                at=now,
                from_state=application.state,
                to_state=application.state,
                note="容缺材料已过补交期限，已告知承办部门",
                data={"business_action": "其他"},
                public=False,
            )
            transaction.on_commit(functools.partial(notify.deferred_overdue, pk))
            count += 1
    return count


def send_deadline_alerts(now: datetime | None = None) -> tuple[int, int]:
    """临期 (yellow) and 超期 (red) alerts to the department, once each per application, through
    the task queue. Idempotent: the stamps on the row say which were sent."""
    from zhengwu.casework.deadlines import Lights

    from . import notify
    from .workflow import RUNNING_STATES

    lights = Lights(now)
    running = Application.objects.filter(
        state__in=RUNNING_STATES, paused_since__isnull=True, due_at__isnull=False
    )
    red = list(
        running.filter(red_alerted_at__isnull=True, due_at__lt=lights.now).values_list("pk", flat=True)
    )
    near = running.filter(
        yellow_alerted_at__isnull=True, due_at__gte=lights.now, due_at__lte=lights.yellow_until()
    )
    yellow = [
        a.pk for a in near.only("pk", "accepted_at", "due_at") if lights(a.accepted_at, a.due_at) == "yellow"
    ]
    for kind, ids, stamp in (("red", red, "red_alerted_at"), ("yellow", yellow, "yellow_alerted_at")):
        for pk in ids:
            updated = Application.objects.filter(pk=pk, **{f"{stamp}__isnull": True}).update(
                **{stamp: lights.now}
            )
            if updated:
                transaction.on_commit(functools.partial(notify.deadline, pk, kind))
    return len(yellow), len(red)


def withdrawable(application: Application) -> bool:
    return application.state in WITHDRAWABLE_STATES


def deferred_due_dates(application: Application) -> list[tuple[str, date]]:
    return [
        (m.name, m.deferred_until)
        for m in application.materials.filter(status=MaterialStatus.DEFERRED).exclude(deferred_until=None)
        if m.deferred_until is not None
    ]
