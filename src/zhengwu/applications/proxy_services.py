"""帮办代办 — every change to a proxy request (帮办代办申请) and its authorisations (委托书) goes
through here: registered from the hall, the phone or online by a clerk or an agent; taken by an
agent or assigned by a clerk; the 委托书 recorded with its signed scan; closed or cancelled.

Filing on the principal's behalf is services.window_intake / apply_online with ``proxy_request``:
those refuse without a 委托书 covering the item today. Collecting the result: acceptance and hand-over
stay with the windows (受审分离) — the 出件窗口 hands the result to the agent against the agent's ID
and the 委托书 on file (:func:`collect`), recorded as 代领 with the 委托书 named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.casework.actors import Actor, authorise
from zhengwu.casework.attachments import Limits, check_files
from zhengwu.casework.numbers import daily_number
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed

from . import services
from .models import (
    ApplicantKind,
    Application,
    Delivery,
    ProxyAuthorisation,
    ProxyChannel,
    ProxyGroup,
    ProxyRequest,
    ProxyState,
)
from .proxy import P_ACCEPT, P_PROXY, valid_authorisation

NUMBER_PREFIX = "DB"
SCAN_LIMITS = Limits(max_files=1, max_bytes=10 * 1024 * 1024, field="file", noun="委托书扫描件")
MAX_VALID_DAYS = 366


def _staff(actor: Actor, doing: str) -> None:
    """Registering and recording is for 帮办代办员 and 综合受理窗口人员."""
    if not (actor.has_perm(P_PROXY) or actor.has_perm(P_ACCEPT)):
        authorise(actor, doing=doing, permission=P_PROXY)


def _lock(request: ProxyRequest) -> ProxyRequest:
    return ProxyRequest.objects.select_for_update().get(pk=request.pk)


def _own_or_clerk(request: ProxyRequest, actor: Actor, doing: str) -> None:
    if actor.has_perm(P_ACCEPT):
        return
    authorise(actor, doing=doing, permission=P_PROXY)
    if request.agent_id != actor.pk:
        raise NotAllowed(f"帮办代办申请{request.number}不是分派给您的，不能{doing}", field="agent")


def _items(items: Sequence[ServiceItem]) -> list[ServiceItem]:
    chosen = list(dict.fromkeys(items))
    if not chosen:
        raise InvalidInput("请选择要代办的事项", field="items")
    return chosen


@transaction.atomic
def register_request(
    *,
    by: Any,
    principal: Citizen | Enterprise,
    items: Sequence[ServiceItem],
    group: str,
    channel: str,
    contact_name: str,
    contact_phone: str,
    note: str = "",
) -> ProxyRequest:
    """登记帮办代办申请: the principal (found or registered first, as at the window), the items,
    the special group and how the request came in. It waits for an agent (待分派)."""
    actor = Actor.of(by)
    _staff(actor, "登记帮办代办申请")
    if group not in ProxyGroup.values:
        raise InvalidInput("请选择服务对象（老年人、残疾人、孕产妇、重点项目企业或其他）", field="group")
    if channel not in ProxyChannel.values:
        raise InvalidInput("申请渠道应为大厅现场、电话或网上", field="channel")
    if isinstance(principal, Citizen):
        who = {"applicant_kind": ApplicantKind.PERSON, "citizen": principal, "principal_name": principal.name}
    elif isinstance(principal, Enterprise):
        who = {
            "applicant_kind": ApplicantKind.ORGANISATION,
            "enterprise": principal,
            "principal_name": principal.name,
        }
    else:
        raise InvalidInput("请先查找或登记委托人", field="principal")
    chosen = _items(items)
    request = ProxyRequest.objects.create(
        number=daily_number(NUMBER_PREFIX, kind="proxy_request"),
        group=group,
        channel=channel,
        contact_name=services._text(
            contact_name, field="contact_name", label="联系人", max_length=50, required=True
        ),
        contact_phone=services._text(
            contact_phone, field="contact_phone", label="联系电话", max_length=20, required=True
        ),
        note=services._text(note, field="note", label="备注", max_length=500),
        registered_by=actor.person,
        **who,
    )
    request.items.set(chosen)
    return request


@transaction.atomic
def take(*, request: ProxyRequest, by: Any) -> ProxyRequest:
    """An agent takes an unassigned request (认领)."""
    actor = Actor.of(by)
    authorise(actor, doing="认领帮办代办申请", permission=P_PROXY)
    request = _lock(request)
    if request.state != ProxyState.WAITING:
        raise Conflict(
            f"帮办代办申请{request.number}已是“{request.get_state_display()}”，不能认领", field="state"
        )
    request.agent = actor.person
    request.state = ProxyState.IN_PROGRESS
    request.assigned_at = timezone.now()
    request.save(update_fields=["agent", "state", "assigned_at", "updated_at"])
    return request


@transaction.atomic
def assign(*, request: ProxyRequest, agent: Any, by: Any) -> ProxyRequest:
    """A clerk assigns (or reassigns) an open request to a 帮办代办员."""
    actor = Actor.of(by)
    authorise(actor, doing="分派帮办代办申请", permission=P_ACCEPT)
    request = _lock(request)
    if request.state not in (ProxyState.WAITING, ProxyState.IN_PROGRESS):
        raise Conflict(
            f"帮办代办申请{request.number}已是“{request.get_state_display()}”，不能分派", field="state"
        )
    if agent is None or not agent.is_active or not agent.has_perm(P_PROXY):
        raise InvalidInput("请选择一位帮办代办员", field="agent")
    request.agent = agent
    request.state = ProxyState.IN_PROGRESS
    request.assigned_at = timezone.now()
    request.save(update_fields=["agent", "state", "assigned_at", "updated_at"])
    return request


@transaction.atomic
def record_authorisation(
    *,
    request: ProxyRequest,
    by: Any,
    items: Sequence[ServiceItem],
    valid_from: date,
    valid_until: date,
    scan: Any,
) -> ProxyAuthorisation:
    """登记委托书 for the request's agent: the items it covers (among the request's), the period,
    and the signed scan (PDF or image, checked by its content)."""
    actor = Actor.of(by)
    request = _lock(request)
    _own_or_clerk(request, actor, "登记委托书")
    if request.state != ProxyState.IN_PROGRESS or request.agent_id is None:
        raise Conflict("先分派帮办代办员，再登记委托书", field="state")
    chosen = _items(items)
    allowed = set(request.items.values_list("id", flat=True))
    outside = [i.name for i in chosen if i.pk not in allowed]
    if outside:
        raise InvalidInput(f"“{outside[0]}”不在本次帮办代办的事项中", field="items")
    if valid_from is None or valid_until is None:
        raise InvalidInput("请填写委托书的生效日期和截止日期", field="valid_until")
    if valid_until < valid_from:
        raise InvalidInput("委托书的截止日期不能早于生效日期", field="valid_until")
    if (valid_until - valid_from).days > MAX_VALID_DAYS:
        raise InvalidInput("委托书有效期最长一年", field="valid_until")
    if valid_until < timezone.localdate():
        raise InvalidInput("委托书已过期，请登记有效期内的委托书", field="valid_until")
    if scan is None:
        raise InvalidInput("请上传委托人签字的委托书扫描件（PDF或图片）", field="file")
    checked = check_files([scan], SCAN_LIMITS)[0]
    row = ProxyAuthorisation(
        request=request,
        agent_id=request.agent_id,
        valid_from=valid_from,
        valid_until=valid_until,
        file_name=checked.name,
        content_type=checked.content_type,
        sha256=checked.sha256,
        recorded_at=timezone.now(),
        recorded_by=actor.person,
    )
    row.file.save(checked.name, checked.file, save=False)
    name = row.file.name
    try:
        row.save()
        row.items.set(chosen)
    except Exception:
        row.file.storage.delete(name)
        raise
    return row


@transaction.atomic
def collect(*, application: Application, by: Any, recipient_id_number: str) -> Delivery:
    """代领: the 出件窗口 hands an application filed under a request to its agent, against the
    agent's ID number and the 委托书 on file that covers the item today."""
    actor = Actor.of(by)
    if application.proxy_request_id is None or application.agent_id is None:
        raise Conflict("该办件不是帮办代办的办件，请按本人领取或代领办理", field="application")
    request = application.proxy_request
    assert request is not None
    authorisation = valid_authorisation(request, agent_id=application.agent_id, item_id=application.item_id)
    if authorisation is None:
        raise NotAllowed(
            f"没有{request.principal_name}委托代办人领取“{application.item.name}”结果的有效委托书",
            field="authorisation",
        )
    agent = application.agent
    return services.hand_over(
        application=application,
        by=actor,
        recipient_name=str(getattr(agent, "display_name", "") or agent),
        recipient_id_number=recipient_id_number,
        by_proxy=True,
        proxy_authorisation=(
            f"帮办代办委托书（{request.number}，{authorisation.valid_from:%Y-%m-%d}至"
            f"{authorisation.valid_until:%Y-%m-%d}）"
        ),
    )


@transaction.atomic
def close(*, request: ProxyRequest, by: Any, outcome: str) -> ProxyRequest:
    """办结: every application filed for it has ended (出件, 不予受理, 撤回 …)."""
    actor = Actor.of(by)
    request = _lock(request)
    _own_or_clerk(request, actor, "办结帮办代办申请")
    if request.state != ProxyState.IN_PROGRESS:
        raise Conflict(
            f"帮办代办申请{request.number}当前为“{request.get_state_display()}”，不能办结", field="state"
        )
    open_ = request.applications.filter(closed_at__isnull=True).order_by("id").first()
    if open_ is not None:
        raise Conflict(f"办件{open_.number}（{open_.item.name}）尚未出件或结束，不能办结", field="state")
    if not request.applications.exists():
        raise Conflict("尚未代为申请任何办件；不再办理请取消", field="state")
    request.outcome = services._text(
        outcome, field="outcome", label="办结情况", max_length=500, required=True
    )
    request.state = ProxyState.CLOSED
    request.closed_at = timezone.now()
    request.save(update_fields=["outcome", "state", "closed_at", "updated_at"])
    return request


@transaction.atomic
def cancel(*, request: ProxyRequest, by: Any, reason: str) -> ProxyRequest:
    """取消: the principal no longer wants it; only while nothing filed for it is still open."""
    actor = Actor.of(by)
    request = _lock(request)
    if request.state == ProxyState.WAITING:
        _staff(actor, "取消帮办代办申请")
    else:
        _own_or_clerk(request, actor, "取消帮办代办申请")
    if request.state not in (ProxyState.WAITING, ProxyState.IN_PROGRESS):
        raise Conflict(
            f"帮办代办申请{request.number}已是“{request.get_state_display()}”，不能取消", field="state"
        )
    if request.applications.filter(closed_at__isnull=True).exists():
        raise Conflict("还有代办的办件在办理中，不能取消", field="state")
    request.outcome = services._text(reason, field="reason", label="取消原因", max_length=500, required=True)
    request.state = ProxyState.CANCELLED
    request.closed_at = timezone.now()
    request.save(update_fields=["outcome", "state", "closed_at", "updated_at"])
    return request
