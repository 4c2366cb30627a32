"""帮办代办 rules that both the services and the pages read: which authorisation (委托书) lets an
agent act for a request's principal on an item today, and which requests a user may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengwu.casework.actors import Actor
from zhengwu.core.errors import NotAllowed

from .models import ProxyAuthorisation, ProxyRequest, ProxyState

P_PROXY = "applications.act_as_proxy"
P_ACCEPT = "applications.accept_application"
P_DELIVER = "applications.deliver_application"


def valid_authorisation(
    request: ProxyRequest, *, agent_id: int | None, item_id: int, on: date | None = None
) -> ProxyAuthorisation | None:
    """The 委托书 of ``request`` naming ``agent_id`` and covering ``item_id`` on ``on`` (today)."""
    day = on or timezone.localdate()
    return (
        ProxyAuthorisation.objects.filter(
            request=request, agent_id=agent_id, items__id=item_id, valid_from__lte=day, valid_until__gte=day
        )
        .order_by("-valid_until", "-id")
        .first()
    )


def require_authorisation(
    request: ProxyRequest, *, actor: Actor, item: Any, applicant: Any
) -> ProxyAuthorisation:
    """Refuse filing on the principal's behalf unless the actor is the request's agent, the request
    is open, the applicant is its principal and a 委托书 covers the item today."""
    if request.state != ProxyState.IN_PROGRESS:
        raise NotAllowed(
            f"帮办代办申请{request.number}当前为“{request.get_state_display()}”，不能代为申请",
            field="proxy_request",
        )
    if request.agent_id is None or request.agent_id != actor.pk:
        raise NotAllowed(f"帮办代办申请{request.number}不是分派给您的，不能代为申请", field="proxy_request")
    principal = request.citizen if request.citizen_id else request.enterprise
    if applicant != principal:
        raise NotAllowed("代办的申请人必须是委托人本人", field="applicant")
    authorisation = valid_authorisation(request, agent_id=actor.pk, item_id=item.pk)
    if authorisation is None:
        raise NotAllowed(
            f"没有{request.principal_name}委托您办理“{item.name}”的有效委托书，不能代为申请，"
            "请先登记在有效期内、委托事项包含该事项的委托书",
            field="authorisation",
        )
    return authorisation


def visible_requests(user: Any) -> QuerySet[ProxyRequest]:
    """Clerks (who register and assign) see every request; an agent sees unassigned ones and its
    own; the 出件窗口 the open ones; anyone else none."""
    qs = ProxyRequest.objects.select_related("agent", "citizen", "enterprise")
    if user is None or not user.is_authenticated or not user.is_staff:
        return qs.none()
    if user.has_perm(P_ACCEPT):
        return qs
    q = Q(pk__in=[])
    if user.has_perm(P_PROXY):
        q |= Q(agent=user) | Q(state=ProxyState.WAITING)
    if user.has_perm(P_DELIVER):  # 出件窗口: hands results to the agent against the 委托书
        q |= Q(state=ProxyState.IN_PROGRESS)
    return qs.filter(q)
