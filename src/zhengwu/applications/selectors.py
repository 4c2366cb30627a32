"""Who sees which applications, answered once for pages, API and exports.

* Leaders and whoever sees every department (``view_all_applications``): all, read-only.
* Approvers: their own department's applications only — never another department's.
* Window clerks (无差别受理): any department's, because intake and 补正 serve them all; but not the
  back office's opinions (``sees_opinions``).
* Delivery clerks: those that reached 出件 (and later).
* Applicants: their own — filed by their account, or theirs as the citizen or the enterprise.
Everything else: none. ``application_for`` answers 404 for what the user may not see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from zhengwu.accounts.models import Citizen, Enterprise

from .models import Application, Channel
from .workflow import P_ACCEPT, P_DELIVER, P_REVIEW, P_VIEW_ALL, ApplicationState

S = ApplicationState
ONLINE_CHANNELS = (Channel.WEB, Channel.MOBILE, Channel.KIOSK)
DELIVERY_VISIBLE = (S.COMPLETED, S.CERTIFIED, S.POSTED, S.DELIVERED, S.ARCHIVED)


def owned_by(user: Any) -> QuerySet[Application]:
    """The applicant's own applications (any channel): filed by this account, or for the citizen
    or enterprise this account belongs to. The citizen and enterprise ids are read first, so the
    list is one table's rows under an OR of three indexed columns — no join and no DISTINCT, which
    over a million applications made PostgreSQL scan them all."""
    if user is None or not user.is_authenticated:
        return Application.objects.none()
    citizens = list(Citizen.objects.filter(user=user).values_list("pk", flat=True))
    enterprises = list(
        Enterprise.users.through.objects.filter(user=user).values_list("enterprise_id", flat=True)
    )
    q = Q(submitted_by=user, channel__in=ONLINE_CHANNELS)
    if citizens:
        q |= Q(citizen_id__in=citizens)
    if enterprises:
        q |= Q(enterprise_id__in=enterprises)
    return Application.objects.filter(q)


def sees_all(user: Any) -> bool:
    return bool(
        user.is_superuser or user.has_perm(P_VIEW_ALL) or getattr(user, "sees_all_departments", False)
    )


def visible_to(user: Any) -> QuerySet[Application]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Application.objects.none()
    if not user.is_staff:
        return owned_by(user)
    if sees_all(user) or user.has_perm(P_ACCEPT):
        return Application.objects.all()
    q = Q(pk__in=[])
    if user.has_perm(P_REVIEW) and user.department_id is not None:
        q |= Q(department_id=user.department_id)
    if user.has_perm(P_DELIVER):
        q |= Q(state__in=DELIVERY_VISIBLE)
    if user.has_perm("applications.act_as_proxy"):  # 帮办代办员: what they filed for a principal
        q |= Q(agent=user)
    return Application.objects.filter(q)


def application_for(user: Any, number: str) -> Application:
    """The application numbered ``number`` if ``user`` may see it; 404 otherwise (also for a
    number that exists but is another department's or another applicant's)."""
    found = (
        visible_to(user)
        .select_related("item", "department", "citizen", "enterprise", "window")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise Http404("没有找到该办件")
    return found


def sees_opinions(user: Any, application: Application) -> bool:
    """The back office's internal steps (审查意见, 延长审批, 退回理由 …): the deciding department's
    approvers and those who see everything; not the window, delivery or the applicant (who read
    what the notices and the public steps say)."""
    if not user.is_authenticated or not user.is_staff:
        return False
    if sees_all(user):
        return True
    return bool(user.has_perm(P_REVIEW) and user.department_id == application.department_id)


def sees_contact(user: Any, application: Application) -> bool:
    """The applicant's phone and address in full: the window, delivery and the applicant; an
    approver decides on the file and sees only the masked number (the decision does not need it)."""
    if not user.is_authenticated:
        return False
    if not user.is_staff:
        return owned_by(user).filter(pk=application.pk).exists()
    return bool(user.has_perm(P_ACCEPT) or user.has_perm(P_DELIVER) or sees_all(user))
