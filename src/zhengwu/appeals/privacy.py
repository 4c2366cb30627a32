"""个人信息 on appeals — who sees the reporter's name, phone, address and identity. This module is
the one policy; the staff pages, the REST API, Open311, the Excel exports and the admin all ask it.

1. Confidential appeals (为诉求人保密, which every anonymous appeal is, and every 举报): the reporter
   — name, phone, citizen or enterprise, the account that filed it — is never shown to a handling
   department, in no form and not masked (the 地点 stays: it is where the matter is); nor in the
   admin, which is for maintaining data, not for casework, and leaves out the address as well; nor
   in Open311, which does not list them at all.
2. Everywhere else a phone is shown it is masked (``139****5678``): lists, the appeal page, exports,
   the API, the admin. Open311 publishes no contact details at all.
3. The whole number is shown only through an explicit 查看完整号码 (``reveal_phone``), recorded in
   the audit trail with who, when and from where, and only to
   - a handler of the lead department (主办单位: its lead assignment is signed or done) of a
     non-confidential appeal — the department that must call the citizen back; never a co-handler
     (协办), another department, a supervisor or a leader;
   - the 12345 desk itself (operators, dispatchers and callback staff), who took the call and make
     the 回访 — also of a confidential appeal, whose confidentiality is towards the departments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from zhengwu.core import audit
from zhengwu.core.errors import NotAllowed
from zhengwu.core.validators import mask_phone

from .models import Appeal, AppealType, Assignment
from .workflow import AssignmentState

HIDDEN = "（保密）"
REVEAL_ACTION = "查看完整号码"
# The lead assignment of the department that handles (or handled) the appeal.
LEAD_HOLDING_STATES = (AssignmentState.SIGNED, AssignmentState.DONE)


def is_confidential(appeal: Appeal) -> bool:
    return bool(appeal.confidential) or appeal.appeal_type == AppealType.REPORT


def without_confidential(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """No confidential appeal and no 举报: what Open311 may publish, what a phone search finds for a
    department."""
    return qs.filter(confidential=False).exclude(appeal_type=AppealType.REPORT)


def sees_all(user: Any) -> bool:
    """The 12345 desk and those who oversee it see every appeal (``selectors.appeals_visible_to``)."""
    return bool(user.has_perm("appeals.view_all_appeals") or user.has_perm("appeals.register_appeal"))


def department_scoped(user: Any) -> bool:
    """A handling-department user: sees only appeals of their department, and never the identity
    of a confidential reporter."""
    return not sees_all(user) and bool(user.has_perm("appeals.handle_appeal"))


def hides_reporter(user: Any, appeal: Appeal) -> bool:
    return is_confidential(appeal) and department_scoped(user)


def _hotline_desk(user: Any) -> bool:
    return bool(
        user.has_perm("accounts.view_personal_data")
        or user.has_perm("appeals.register_appeal")
        or user.has_perm("appeals.dispatch_appeal")
    )


def _in_lead_department(user: Any, appeal: Appeal) -> bool:
    if not (user.department_id and user.has_perm("appeals.handle_appeal")):
        return False
    return Assignment.objects.filter(
        appeal=appeal,
        role=Assignment.Role.LEAD,
        state__in=LEAD_HOLDING_STATES,
        department_id=user.department_id,
    ).exists()


def may_reveal_phone(user: Any, appeal: Appeal) -> bool:
    """Whether ``user`` may ask for the whole phone number of ``appeal``'s reporter (rule 3)."""
    if not appeal.contact_phone or not getattr(user, "is_authenticated", False):
        return False
    if _hotline_desk(user):
        return True
    return not is_confidential(appeal) and _in_lead_department(user, appeal)


def reveal_phone(*, appeal: Appeal, by: Any, ip: str | None = None) -> str:
    """The reporter's whole phone number, for someone who may see it; the look is recorded."""
    if not may_reveal_phone(by, appeal):
        if is_confidential(appeal) and not _hotline_desk(by):
            raise NotAllowed("该诉求为诉求人保密，不能查看诉求人的联系电话")
        if not appeal.contact_phone:
            raise NotAllowed("该诉求没有联系电话")
        raise NotAllowed("只有主办单位的办理人员可以查看诉求人的完整号码")
    audit.record(
        actor=by,
        action=REVEAL_ACTION,
        obj=appeal,
        summary=f"查看诉求 {appeal.number} 诉求人的完整号码",
        ip=ip,
    )
    return appeal.contact_phone


@dataclass(frozen=True)
class Reporter:
    """How one appeal's reporter is shown to one user: hidden, or the name and a masked phone."""

    hidden: bool
    name: str
    phone: str

    @classmethod
    def shown(cls, appeal: Appeal, *, hidden: bool) -> Reporter:
        if hidden:
            return cls(True, HIDDEN, HIDDEN)
        name = appeal.contact_name or ("匿名" if appeal.anonymous else "")
        return cls(False, name, mask_phone(appeal.contact_phone))

    @classmethod
    def of(cls, appeal: Appeal, user: Any) -> Reporter:
        return cls.shown(appeal, hidden=hides_reporter(user, appeal))


def masked_phone(appeal: Appeal) -> str:
    return mask_phone(appeal.contact_phone)
