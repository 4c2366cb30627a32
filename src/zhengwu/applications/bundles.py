"""一件事一次办 — one application for a bundle (catalog.Bundle): one merged form whose every answer
is given once (一表申请), one de-duplicated material set (one ID card for the whole bundle, a
material another item of the bundle produces not asked for at all), one 受理 and one set of
notices, one 出件. Every change goes through the functions here; they are atomic and take the actor.

The items are handled as child applications (``Application.bundle_application``), made when the
bundle is submitted so that each material's file is stored once and every child's checklist
points at it; a child is nobody's work until the bundle is accepted. At 受理 every child is accepted
at once and goes to its own department's back office; a child whose item waits for another
(``BundleItem.after``, e.g. 刻章 after 营业执照) is accepted with its clock stopped
(``PauseKind.PREDECESSOR``) and starts when that one is done. When a child is refused (不予许可) the
bundle's ``on_refusal`` rule trims the children that depended on it, or stops every child not yet
decided, and the applicant is told what remains. When every child is done the bundle application
is done, and 出件 hands every result over (or posts it) in one go, with one 送达回证.

A child's own steps (review, decide, complete, 制证, a 补正 after a return) are the ordinary
services'; what a child never does alone — 受理, 不予受理, 撤回, 出件 — ``services`` refuses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.calendar.workdays import Limit
from zhengwu.casework.actors import Actor, ActorKind, authorise
from zhengwu.casework.chain import Chain, who
from zhengwu.casework.deadlines import due_after_pauses
from zhengwu.casework.numbers import daily_number, hash_query_code, new_query_code
from zhengwu.catalog import selectors as catalog
from zhengwu.catalog.models import Bundle, MaterialKind, OnRefusal, VersionStatus
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed

from . import documents, services
from .models import (
    Application,
    ApplicationMaterial,
    BundleApplication,
    BundleEvent,
    BundleState,
    Channel,
    Decision,
    DeliveryMethod,
    MaterialFile,
    MaterialStatus,
    Notice,
    NoticeKind,
    PauseKind,
)
from .workflow import P_ACCEPT, P_DELIVER, WITHDRAWABLE_STATES, ApplicationState

S = ApplicationState
B = BundleState
NUMBER_PREFIX = "YJ"
SEALED_FIELDS = (
    "number",
    "bundle_id",
    "applicant_name",
    "applicant_code",
    "contact_phone",
    "state",
    "accepted_at",
    "due_at",
    "completed_at",
    "delivered_at",
    "tracking_number",
)
CHAIN = Chain(
    matter=BundleApplication,
    event=BundleEvent,
    fk="bundle_application",
    sealed=SEALED_FIELDS,
    noun="一件事办件",
)
# What the bundle application's own history calls its steps (pages, API, exports).
STEP_LABELS = {
    "submit": "提交申请",
    "accept": "受理",
    "refuse": "不予受理",
    "withdraw": "撤回申请",
    "item_done": "事项办结",
    "item_refused": "事项不予许可",
    "complete": "全部办结",
    "hand_over": "窗口出件",
    "post": "邮寄出件",
    "confirm_receipt": "邮件签收",
}
# The steps the applicant goes through (for the realised savings): the bundle's, or each child's
# had it been applied for alone.
APPLICANT_STEPS = frozenset({"submit", "accept", "refuse", "hand_over", "post", "confirm_receipt"})


# ---------------------------------------------------------------------------------------------
# The bundle's checklist: one line per material, what the bundle itself provides marked
# ---------------------------------------------------------------------------------------------


@dataclass
class Line:
    """One line of the bundle application's checklist. ``provided_by``: the item of this bundle
    whose result is this material (出生医学证明 for 户口登记), so nobody hands it in."""

    material: catalog.BundleMaterial
    provided_by: str = ""

    @property
    def material_id(self) -> int | None:
        return self.material.material_id

    @property
    def to_hand_in(self) -> bool:
        return not self.provided_by and not self.material.is_merged_form


def _waits_on(bundle: Bundle) -> dict[int, set[int]]:
    """item id → every item id it waits for, directly or not."""
    direct = {link.item_id: link.after_id for link in bundle.bundle_items.all()}
    out: dict[int, set[int]] = {}
    for item_id in direct:
        seen: set[int] = set()
        step = direct.get(item_id)
        while step is not None and step not in seen:
            seen.add(step)
            step = direct.get(step)
        out[item_id] = seen
    return out


def checklist(bundle: Bundle) -> list[Line]:
    """一套材料 for applying: the bundle's de-duplicated materials (catalog.bundle_material), a
    licence that an item of the bundle produces marked as provided when every item asking for it
    waits for that item."""
    items = catalog.bundle_items(bundle)
    by_name = {item.name: item for item in items}
    waits = _waits_on(bundle)
    producers = {item.result_licence_type: item for item in items if item.result_licence_type}
    lines = []
    for material in catalog.bundle_materials(bundle):
        line = Line(material)
        producer = producers.get(material.licence_type) if material.licence_type else None
        if producer is not None and all(
            producer.pk in waits.get(by_name[name].pk, set())
            for name in material.item_names
            if name in by_name
        ):
            line.provided_by = producer.name
        lines.append(line)
    return lines


def can_apply_online(bundle: Bundle) -> bool:
    return all(item.online_depth >= 2 for item in catalog.bundle_items(bundle))


def _in_force(bundle: Bundle) -> Bundle:
    if bundle.status != VersionStatus.PUBLISHED:
        raise Conflict(f"一件事“{bundle.name}”未发布，不能申请", field="bundle")
    problems = catalog.bundle_definition_errors(bundle)
    if problems:
        raise Conflict(f"一件事“{bundle.name}”的定义有问题，暂不能申请：{problems[0]}", field="bundle")
    for item in catalog.bundle_items(bundle):
        if item.status != VersionStatus.PUBLISHED:
            raise Conflict(f"一件事所含事项“{item.name}”当前版本未发布，暂不能申请", field="bundle")
    return bundle


def _form(bundle: Bundle, form_data: Mapping[str, Any]) -> dict[str, str]:
    """The merged form's answers, each once; unknown fields refused, every answer plain text."""
    known = {f["name"]: f.get("label", f["name"]) for f in catalog.bundle_form_fields(bundle)}
    unknown = sorted(set(form_data) - set(known))
    if unknown:
        raise InvalidInput(f"联办申请表没有“{unknown[0]}”这一项", field=f"form_data.{unknown[0]}")
    return {
        name: services._text(form_data.get(name, ""), field=f"form_data.{name}", label=label, max_length=500)
        for name, label in known.items()
    }


# ---------------------------------------------------------------------------------------------
# Submitting: online, or at the window
# ---------------------------------------------------------------------------------------------


@dataclass
class BundleMaterialInput:
    """What the clerk marked for one line of the bundle's checklist (by catalog Material id)."""

    material_id: int
    status: str = MaterialStatus.RECEIVED
    originals: int = 0
    copies: int = 0
    commitment: str = ""
    defer_days: int | None = None
    note: str = ""
    files: Sequence[Any] = field(default_factory=list)


@dataclass
class BundleIntake:
    bundle_application: BundleApplication
    query_code: str | None  # None when an idempotent retry returned the earlier one


def _lock(parent: BundleApplication, version: int | None = None) -> BundleApplication:
    locked = BundleApplication.objects.select_for_update().select_related("bundle").get(pk=parent.pk)
    if version is not None and locked.version != version:
        raise Conflict(services.STALE, field="version")
    CHAIN.check_sealed(locked)
    return locked


def _step(
    parent: BundleApplication,
    action: str,
    actor: Actor,
    *,
    at: datetime,
    to: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    update: Sequence[str] = (),
) -> BundleEvent:
    before = parent.state
    if to is not None:
        parent.state = to
    parent.version += 1
    parent.save(update_fields=["state", "version", "updated_at", *update])
    event: BundleEvent = CHAIN.append(
        parent,
        action=action,
        actor=actor,
        at=at,
        from_state=before,
        to_state=parent.state,
        note=note,
        data=data,
    )
    return event


def _children(parent: BundleApplication) -> list[Application]:
    return list(
        parent.children.select_for_update(of=("self",))
        .select_related("item", "department", "waits_for__item")
        .order_by("id")
    )


def _submit(
    *,
    bundle: Bundle,
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
    proxy_request: Any,
) -> tuple[BundleApplication, str, dict[int, Application]] | BundleApplication:
    """The bundle application and its children, 待预审. Returns the earlier application when an
    idempotent retry repeats a submission."""
    bundle = _in_force(bundle)
    if idempotency_key:
        earlier = BundleApplication.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.submitted_by_id != actor.pk:
                raise Conflict("该幂等键已被使用，请为新申请使用新的键", field="idempotency_key")
            return earlier
    answers = _form(bundle, form_data)
    at = services._now()
    contact_name = services._text(
        contact_name, field="contact_name", label="联系人", max_length=50, required=True
    )
    contact_phone = services._text(
        contact_phone, field="contact_phone", label="联系电话", max_length=20, required=True
    )
    delivery = services._delivery_fields(
        delivery_method,
        postal_recipient,
        postal_phone,
        postal_address,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    code = new_query_code()
    parent = BundleApplication(
        number=daily_number(NUMBER_PREFIX, kind="bundle", at=timezone.localdate(at)),
        query_code_hash=hash_query_code(code),
        bundle=bundle,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        form_data=answers,
        submitted_by=actor.person,
        window=window,
        submitted_at=at,
        state=B.SUBMITTED,
        limit_days=bundle.promised_limit_days,
        idempotency_key=idempotency_key or None,
        agent=actor.person if proxy_request is not None else None,
        proxy_request=proxy_request,
        **services._applicant_fields(applicant),
        **delivery,
    )
    try:
        with transaction.atomic():
            CHAIN.append(
                parent,
                action="submit",
                actor=actor,
                at=at,
                to_state=B.SUBMITTED,
                data={"channel": channel, "items": [i.name for i in catalog.bundle_items(bundle)]},
                first=True,
            )
    except IntegrityError:
        if idempotency_key and BundleApplication.objects.filter(idempotency_key=idempotency_key).exists():
            return BundleApplication.objects.get(idempotency_key=idempotency_key)
        raise
    children: dict[int, Application] = {}
    for item in catalog.bundle_items(bundle):
        child, _ = services._create(
            item=item,
            actor=actor,
            channel=channel,
            applicant=applicant,
            contact_name=contact_name,
            contact_phone=contact_phone,
            form_data={
                f["name"]: answers.get(f["name"], "") for f in item.form_fields or [] if f.get("name")
            },
            delivery_method=delivery["delivery_method"],
            postal_recipient=delivery["postal_recipient"],
            postal_phone=delivery["postal_phone"],
            postal_address=delivery["postal_address"],
            idempotency_key=None,
            window=window,
            at=at,
            proxy_request=proxy_request,
            bundle_application=parent,
        )
        children[item.pk] = child
    _mark_provided(bundle, children)
    return parent, code, children


def _rows(children: Mapping[int, Application]) -> dict[int, list[ApplicationMaterial]]:
    """Catalog Material id → the children's checklist rows for it."""
    out: dict[int, list[ApplicationMaterial]] = {}
    for row in ApplicationMaterial.objects.filter(application__in=list(children.values())).select_related(
        "item_material__material"
    ):
        out.setdefault(row.item_material.material_id, []).append(row)
    return out


def _mark_provided(bundle: Bundle, children: Mapping[int, Application]) -> None:
    """The merged form stands for every item's own form (一表申请); a licence the bundle produces
    itself is 免提交 for the items that wait for it."""
    rows = _rows(children)
    form_name = catalog.merged_form_name(bundle)
    for line in checklist(bundle):
        if line.material.is_merged_form:
            for row in ApplicationMaterial.objects.filter(
                application__in=list(children.values()), item_material__material__kind=MaterialKind.FORM
            ):
                row.status, row.originals, row.note = MaterialStatus.RECEIVED, 1, f"一表申请：{form_name}"
                row.save(update_fields=["status", "originals", "note"])
        elif line.provided_by and line.material_id is not None:
            for row in rows.get(line.material_id, []):
                row.status, row.note = MaterialStatus.EXEMPT, f"由本一件事“{line.provided_by}”的办理结果提供"
                row.save(update_fields=["status", "note"])


def _share_files(rows: Sequence[ApplicationMaterial], files: Sequence[Any], actor: Actor) -> None:
    """Store the files once, on the first child's row, and point every other child's row at them."""
    first, *rest = rows
    before = set(first.files.values_list("pk", flat=True))
    services._save_files(first, files, actor)
    stored = list(first.files.exclude(pk__in=before))
    for row in rest:
        for f in stored:
            MaterialFile.objects.create(
                material=row,
                file=f.file.name,
                name=f.name,
                content_type=f.content_type,
                size=f.size,
                sha256=f.sha256,
                uploaded_by=f.uploaded_by,
            )


def _check_applicant(
    actor: Actor, applicant: Citizen | Enterprise, bundle: Bundle, proxy_request: Any
) -> None:
    if proxy_request is not None:
        for item in catalog.bundle_items(bundle):
            services._proxy_check(proxy_request, actor, item, applicant)
    elif actor.kind == ActorKind.CITIZEN:
        if actor.pk not in services._applicant_owner_ids(applicant):
            raise NotAllowed("只能以本人或本单位（经办人账号）名义申请", field="applicant")
    else:
        authorise(actor, doing="代为网上申请", permission=P_ACCEPT)


@services._cleans_files
@transaction.atomic
def apply_online(
    *,
    bundle: Bundle,
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
) -> BundleIntake:
    """一件事在线办理: one form, and one upload per material of the bundle's checklist (``uploads``
    by catalog Material id) — a material several items need is uploaded once. The bundle
    application waits for the window's 预审 (待预审)."""
    actor = services._actor(by)
    _check_applicant(actor, applicant, bundle, proxy_request)
    if not can_apply_online(bundle):
        raise Conflict(f"一件事“{bundle.name}”含只能到窗口办理的事项，请到综合受理窗口申请", field="bundle")
    made = _submit(
        bundle=bundle,
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
        proxy_request=proxy_request,
    )
    if isinstance(made, BundleApplication):
        return BundleIntake(made, None)
    parent, code, children = made
    lines = {line.material_id: line for line in checklist(bundle) if line.to_hand_in}
    unknown = sorted(set(uploads) - set(lines))
    if unknown:
        raise InvalidInput("上传的材料不在该一件事的材料清单中", field=f"materials.{unknown[0]}")
    rows = _rows(children)
    for material_id, line in lines.items():
        files = list(uploads.get(material_id) or []) if material_id is not None else []
        if not files:
            targets = rows.get(material_id or 0, [])
            if line.material.required and not (targets and all(row.licence_id for row in targets)):
                raise InvalidInput(f"请上传“{line.material.name}”", field=f"materials.{material_id}")
            continue
        targets = rows.get(material_id or 0, [])
        _share_files(targets, files, actor)
        for row in targets:
            row.status = MaterialStatus.RECEIVED
            row.save(update_fields=["status"])
    return BundleIntake(parent, code)


@services._cleans_files
@transaction.atomic
def window_intake(
    *,
    bundle: Bundle,
    by: Any,
    applicant: Citizen | Enterprise,
    contact_name: str,
    contact_phone: str,
    form_data: Mapping[str, Any],
    materials: Sequence[BundleMaterialInput],
    outcome: str,
    delivery_method: str = DeliveryMethod.PICKUP,
    postal_recipient: str = "",
    postal_phone: str = "",
    postal_address: str = "",
    reason: str = "",
    window: Any = None,
    idempotency_key: str | None = None,
) -> BundleIntake:
    """一件事 at the 综合受理窗口: one form, one checklist marked once, and "accept" (one 受理通知书)
    or "refuse" (one 不予受理通知书). All or nothing."""
    actor = services._actor(by)
    authorise(actor, doing="窗口受理", permission=P_ACCEPT)
    if outcome not in ("accept", "refuse"):
        raise InvalidInput("一件事受理结果应为受理或不予受理", field="outcome")
    made = _submit(
        bundle=bundle,
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
        proxy_request=None,
    )
    if isinstance(made, BundleApplication):
        return BundleIntake(made, None)
    parent, code, _ = made
    if outcome == "accept":
        accept(bundle_application=parent, by=actor, materials=materials)
    else:
        refuse(bundle_application=parent, by=actor, reason=reason)
    parent.refresh_from_db()
    return BundleIntake(parent, code)


# ---------------------------------------------------------------------------------------------
# 受理 / 不予受理 — of the whole bundle
# ---------------------------------------------------------------------------------------------


def _begin(
    parent: BundleApplication,
    by: Any,
    version: int | None,
    *,
    permission: str,
    doing: str,
    states: Sequence[str],
) -> tuple[Actor, BundleApplication]:
    actor = services._actor(by)
    authorise(actor, doing=doing, permission=permission)
    parent = _lock(parent, version)
    if parent.state not in states:
        raise Conflict(f"一件事办件当前为“{parent.get_state_display()}”，不能{doing}", field="state")
    return actor, parent


def _child_marks(
    materials: Sequence[BundleMaterialInput],
    rows: Mapping[int, list[ApplicationMaterial]],
    lines: Mapping[int | None, Line],
) -> dict[int, list[services.MaterialInput]]:
    """The clerk's marks on the bundle's checklist, as each child's marks on its own rows."""
    out: dict[int, list[services.MaterialInput]] = {}
    for mark in materials:
        line = lines.get(mark.material_id)
        if line is None or not line.to_hand_in:
            raise InvalidInput("材料不在该一件事需提交的材料清单中", field=f"materials.{mark.material_id}")
        for row in rows.get(mark.material_id, []):
            out.setdefault(row.application_id, []).append(
                services.MaterialInput(
                    item_material_id=row.item_material_id,
                    status=mark.status,
                    originals=mark.originals,
                    copies=mark.copies,
                    commitment=mark.commitment,
                    defer_days=mark.defer_days,
                    note=mark.note,
                )
            )
    return out


@services._cleans_files
@transaction.atomic
def accept(
    *,
    bundle_application: BundleApplication,
    by: Any,
    materials: Sequence[BundleMaterialInput] = (),
    note: str = "",
    version: int | None = None,
) -> BundleApplication:
    """受理 of the whole bundle: the checklist complete (容缺 for non-critical materials), every
    child accepted and sent to its department, each child waiting for its 前置事项 with its clock
    stopped; one 受理通知书 listing every item, its department and its 承诺办结时间."""
    actor, parent = _begin(
        bundle_application, by, version, permission=P_ACCEPT, doing="受理", states=[B.SUBMITTED]
    )
    bundle = parent.bundle
    at = services._now()
    note = services._text(note, field="note", label="受理意见", max_length=1000)
    children = _children(parent)
    by_item = {child.item_id: child for child in children}
    rows = _rows({c.item_id: c for c in children})
    lines = {line.material_id: line for line in checklist(bundle)}
    marks = _child_marks(materials, rows, lines)
    for mark in materials:
        if mark.files:
            _share_files(rows.get(mark.material_id, []), mark.files, actor)
    limit = bundle.promised_limit_days
    after = {link.item_id: link.after_id for link in bundle.bundle_items.all()}
    for child in children:
        services._mark_materials(child, marks.get(child.pk, []), actor, at)
        services._accept(
            child, actor, at, note, notice=False, limit_days=max(limit, child.item.promised_limit_days)
        )
        predecessor = by_item.get(after.get(child.item_id) or 0)
        if predecessor is not None:
            child.waits_for = predecessor
            services._pause(child, PauseKind.PREDECESSOR, at)
            child.save(update_fields=["waits_for", "paused_since"])
            services.CHAIN.append(
                child,
                action="wait",
                actor=actor,
                at=at,
                from_state=child.state,
                to_state=child.state,
                note=f"等待前置事项“{predecessor.item.name}”办结，办理时限暂停计算",
                data={"waits_for": predecessor.number},
            )
    parent.accepted_at, parent.accepted_by = at, actor.person
    parent.due_at = due_after_pauses(at, Limit.working_days(limit), [])
    _step(
        parent,
        "accept",
        actor,
        at=at,
        to=B.IN_PROGRESS,
        note=note,
        update=["accepted_at", "accepted_by", "due_at"],
    )
    issue(parent, NoticeKind.ACCEPTANCE, by=actor, at=at, children=_children_data(children))
    return parent


@transaction.atomic
def refuse(
    *,
    bundle_application: BundleApplication,
    by: Any,
    reason: str,
    remedy: str = "",
    version: int | None = None,
) -> BundleApplication:
    """不予受理 of the whole bundle, with one notice naming the reason and the remedy."""
    actor, parent = _begin(
        bundle_application, by, version, permission=P_ACCEPT, doing="不予受理", states=[B.SUBMITTED]
    )
    reason = services._text(reason, field="reason", label="不予受理理由", max_length=1000, required=True)
    remedy = services._text(
        remedy
        or "如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，或者在六个月内依法提起行政诉讼。",
        field="remedy",
        label="救济途径",
        max_length=500,
    )
    at = services._now()
    for child in _children(parent):
        child.closed_at = at
        services._move(child, "refuse", actor, at=at, note=reason, update=["closed_at"])
    parent.closed_at = at
    _step(parent, "refuse", actor, at=at, to=B.NOT_ACCEPTED, note=reason, update=["closed_at"])
    issue(parent, NoticeKind.REFUSAL, by=actor, at=at, reason=reason, remedy=remedy)
    return parent


def withdrawable(parent: BundleApplication) -> bool:
    """撤回 of the whole bundle application: before 受理, or after it while no item is decided."""
    if parent.state == B.SUBMITTED:
        return True
    return parent.state == B.IN_PROGRESS and all(
        c.state in WITHDRAWABLE_STATES or c.state == S.WITHDRAWN for c in parent.children.all()
    )


@transaction.atomic
def withdraw(
    *, bundle_application: BundleApplication, by: Any, reason: str, version: int | None = None
) -> BundleApplication:
    """撤回 by the applicant (their own account) or at the window for them: every item ends, with
    the reason; refused once any item has been decided (its result then stands and is handed over)."""
    actor = services._actor(by)
    parent = _lock(bundle_application, version)
    if actor.kind == ActorKind.CITIZEN:
        authorise(actor, doing="撤回申请", owner_ids=parent.applicant_user_ids)
    else:
        authorise(actor, doing="撤回申请", permission=P_ACCEPT)
    if not withdrawable(parent):
        raise Conflict(
            f"一件事办件当前为“{parent.get_state_display()}”，已有事项作出决定或已办结，不能整件撤回",
            field="state",
        )
    reason = services._text(reason, field="reason", label="撤回理由", max_length=500, required=True)
    at = services._now()
    for child in _children(parent):
        if child.state in WITHDRAWABLE_STATES:
            _stop(child, actor, at, reason)
    parent.closed_at = at
    _step(parent, "withdraw", actor, at=at, to=B.WITHDRAWN, note=reason, update=["closed_at"])
    return parent


# ---------------------------------------------------------------------------------------------
# A child done: what waited starts, a refusal trims or stops, the bundle completes
# ---------------------------------------------------------------------------------------------


def settled(child: Application) -> bool:
    """Nothing left for the back office: the result is ready (制证 done where the item produces a
    licence and was granted), or the child ended without one."""
    if child.state in (S.WITHDRAWN, S.NOT_ACCEPTED, S.CERTIFIED, S.POSTED, S.DELIVERED, S.ARCHIVED):
        return True
    return child.state == S.COMPLETED and not (child.produces_licence and child.decision == Decision.APPROVED)


def _stop(child: Application, actor: Actor, at: datetime, reason: str) -> None:
    services._resume(child, at)
    child.closed_at = at
    services._move(
        child, "withdraw", actor, at=at, note=reason, update=["closed_at", "paused_since", "due_at"]
    )


def child_settled(child: Application, by: Actor, at: datetime) -> None:
    """Called by ``services.complete`` and ``certify`` on a child of a bundle, in their transaction."""
    assert child.bundle_application is not None
    parent = _lock(child.bundle_application)
    system = Actor.system(f"一件事办件{parent.number}")
    children = {c.pk: c for c in _children(parent)}
    done = children[child.pk]
    if done.state == S.COMPLETED:
        _after_result(parent, done, children, system, at)
    if all(settled(c) for c in children.values()):
        with_result = [c for c in children.values() if c.state not in (S.WITHDRAWN, S.NOT_ACCEPTED)]
        parent.completed_at = at
        _step(
            parent,
            "complete",
            system,
            at=at,
            to=B.COMPLETED if with_result else B.STOPPED,
            note="各事项均已办结，请按约定方式统一出件" if with_result else "各事项均已终止，本一件事办结",
            update=["completed_at"],
        )


def _after_result(
    parent: BundleApplication,
    done: Application,
    children: Mapping[int, Application],
    system: Actor,
    at: datetime,
) -> None:
    dependants = [c for c in children.values() if c.waits_for_id == done.pk and services.waiting(c)]
    if done.decision == Decision.APPROVED:
        for dep in dependants:
            services._resume(dep, at)
            dep.save(update_fields=["paused_since", "due_at"])
            services.CHAIN.append(
                dep,
                action="start",
                actor=system,
                at=at,
                from_state=dep.state,
                to_state=dep.state,
                note=f"前置事项“{done.item.name}”已办结，开始办理，办理时限恢复计算",
            )
        _step(
            parent,
            "item_done",
            system,
            at=at,
            note=f"“{done.item.name}”已办结（准予）",
            data={"application": done.number},
        )
        return
    # 不予许可: trim what depended on it, or stop everything not yet decided.
    if parent.bundle.on_refusal == OnRefusal.STOP:
        stopping = [c for c in children.values() if c.pk != done.pk and c.state in WITHDRAWABLE_STATES]
        reason = f"一件事中“{done.item.name}”不予许可，按该一件事的规定整件终止"
    else:
        chain_of = {done.pk}
        grew = True
        while grew:
            grew = False
            for c in children.values():
                if c.waits_for_id in chain_of and c.pk not in chain_of:
                    chain_of.add(c.pk)
                    grew = True
        stopping = [children[pk] for pk in chain_of - {done.pk} if children[pk].state in WITHDRAWABLE_STATES]
        reason = f"前置事项“{done.item.name}”不予许可，本事项无法继续办理"
    for c in stopping:
        _stop(c, system, at, reason)
    remaining = [
        c.item.name
        for c in children.values()
        if c.state not in (S.WITHDRAWN, S.NOT_ACCEPTED) and c.pk != done.pk
    ]
    note = (
        f"“{done.item.name}”不予许可；"
        + (f"已终止：{'、'.join(c.item.name for c in stopping)}；" if stopping else "")
        + (f"继续办理：{'、'.join(remaining)}" if remaining else "没有继续办理的事项")
    )
    _step(parent, "item_refused", system, at=at, note=note, data={"application": done.number})
    pk = parent.pk
    transaction.on_commit(lambda: _tell_refused(pk, note))


def _tell_refused(parent_id: int, note: str) -> None:
    from . import notify

    notify.bundle_item_refused(parent_id, note)


# ---------------------------------------------------------------------------------------------
# 出件 — once, for every result
# ---------------------------------------------------------------------------------------------


def _ready(children: Sequence[Application]) -> list[Application]:
    return [c for c in children if c.state in (S.COMPLETED, S.CERTIFIED)]


@transaction.atomic
def hand_over(
    *,
    bundle_application: BundleApplication,
    by: Any,
    recipient_name: str,
    recipient_id_number: str,
    by_proxy: bool = False,
    proxy_authorisation: str = "",
    version: int | None = None,
) -> BundleApplication:
    """窗口出件 of every result at once, against the recipient's ID; one 送达回证."""
    actor, parent = _begin(
        bundle_application, by, version, permission=P_DELIVER, doing="出件", states=[B.COMPLETED]
    )
    name, number, proxy_note = services.recipient(
        parent, recipient_name, recipient_id_number, by_proxy, proxy_authorisation
    )
    at = services._now()
    children = _ready(_children(parent))
    served = "；".join(documents.served(c) for c in children)
    for child in children:
        services._handed_over(child, actor, at, name, number, by_proxy, proxy_note)
    parent.delivered_at = parent.closed_at = at
    _step(
        parent,
        "hand_over",
        actor,
        at=at,
        to=B.DELIVERED,
        note=f"{'代领' if by_proxy else '本人领取'}：{name}，共{len(children)}项结果",
        update=["delivered_at", "closed_at"],
    )
    issue(parent, NoticeKind.SERVICE, by=actor, at=at, recipient=name, method="窗口领取", documents=served)
    return parent


@transaction.atomic
def post(
    *, bundle_application: BundleApplication, by: Any, tracking_number: str, version: int | None = None
) -> BundleApplication:
    """邮寄出件 of every result in one EMS parcel; the applicant is told by SMS."""
    actor, parent = _begin(
        bundle_application, by, version, permission=P_DELIVER, doing="邮寄出件", states=[B.COMPLETED]
    )
    if not parent.postal_address:
        raise Conflict("申请人未选择邮寄或没有邮寄地址，请改为窗口出件", field="postal_address")
    number = services.tracking(tracking_number)
    at = services._now()
    for child in _ready(_children(parent)):
        services._posted(child, actor, at, number)
    parent.tracking_number = number
    _step(
        parent, "post", actor, at=at, to=B.POSTED, note=f"已邮寄，邮件号{number}", update=["tracking_number"]
    )
    pk = parent.pk
    transaction.on_commit(lambda: _tell_posted(pk))
    return parent


def _tell_posted(parent_id: int) -> None:
    from . import notify

    notify.bundle_posted(parent_id)


@transaction.atomic
def confirm_receipt(
    *,
    bundle_application: BundleApplication,
    by: Any,
    received_on: datetime | None = None,
    version: int | None = None,
) -> BundleApplication:
    """邮件签收: every posted result delivered; one 送达回证."""
    actor, parent = _begin(
        bundle_application, by, version, permission=P_DELIVER, doing="确认签收", states=[B.POSTED]
    )
    at = services._now()
    children = [c for c in _children(parent) if c.state == S.POSTED]
    sent = min((c.delivery.sent_on for c in children if c.delivery.sent_on), default=None)
    when = services.received_when(sent, received_on, at)
    for child in children:
        services._received(child, actor, at, when)
    parent.delivered_at = parent.closed_at = when
    _step(
        parent,
        "confirm_receipt",
        actor,
        at=at,
        to=B.DELIVERED,
        note="邮件已签收",
        update=["delivered_at", "closed_at"],
    )
    issue(
        parent,
        NoticeKind.SERVICE,
        by=actor,
        at=at,
        recipient=parent.postal_recipient or parent.contact_name,
        method="邮寄送达",
        tracking_number=parent.tracking_number,
        documents="；".join(documents.served(c) for c in children),
    )
    return parent


# ---------------------------------------------------------------------------------------------
# Notices of the bundle
# ---------------------------------------------------------------------------------------------


def _children_data(children: Sequence[Application]) -> list[dict[str, str]]:
    out = []
    for c in children:
        out.append(
            {
                "number": c.number,
                "item": c.item.name,
                "department": c.department.name,
                "due_on": "" if c.paused_since else documents._local(c.due_at),
                "waits_for": c.waits_for.item.name if c.waits_for is not None else "",
            }
        )
    return out


def issue(parent: BundleApplication, kind: NoticeKind, *, by: Any, at: datetime, **details: Any) -> Notice:
    """One notice for the whole bundle application, its content frozen like every notice's."""
    day = timezone.localdate(at)
    number = daily_number(documents.PREFIX[kind], kind=f"notice-{documents.PREFIX[kind]}", at=day)
    actor_id, label = who(by)
    bundle = parent.bundle
    data = {
        "application_number": parent.number,
        "department": bundle.lead_department.name,
        "item": f"{bundle.name}一件事",
        "item_code": "",
        "applicant": parent.applicant_name,
        "applicant_kind": parent.get_applicant_kind_display(),
        "submitted_on": documents._local(parent.submitted_at),
        "issued_on": documents._local(at),
        "accepted_on": documents._local(parent.accepted_at),
        "limit_days": format(parent.limit_days.normalize(), "f") if parent.accepted_at else "",
        "due_on": documents._local(parent.due_at),
        "consultation_phone": "",
        **details,
        "issued_by": label,
    }
    return Notice.objects.create(
        bundle_application=parent, kind=kind, number=number, issued_at=at, issued_by_id=actor_id, data=data
    )
