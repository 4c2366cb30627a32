"""Who may see which licences: a holder's own (the citizen's account, an enterprise's 经办人), and
the issuing department's staff."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import Licence


def _with_related(qs: QuerySet[Licence]) -> QuerySet[Licence]:
    return qs.select_related("licence_type", "issuer", "seal", "superseded_by")


def held_by(user: Any) -> QuerySet[Licence]:
    """我的证照: the licences of the citizen whose account this is and of every enterprise the
    account acts for (经办人), newest first. Nothing for an anonymous user."""
    if not getattr(user, "is_authenticated", False):
        return Licence.objects.none()
    citizen_id = getattr(getattr(user, "citizen", None), "pk", None)
    enterprise_ids = list(user.enterprises.values_list("pk", flat=True))
    if citizen_id is None and not enterprise_ids:
        return Licence.objects.none()
    # Never Q(citizen_id=None): that is "IS NULL", every enterprise's licence.
    own = Q(citizen_id=citizen_id) if citizen_id is not None else Q(pk__in=[])
    return _with_related(Licence.objects.filter(own | Q(enterprise_id__in=enterprise_ids)))


def held_by_party(party: Any) -> QuerySet[Licence]:
    """The licences of one Citizen or Enterprise (the applicant of an application)."""
    if hasattr(party, "id_number"):
        return _with_related(Licence.objects.filter(citizen=party))
    return _with_related(Licence.objects.filter(enterprise=party))


def issued_by_visible_to(user: Any) -> QuerySet[Licence]:
    """The licences a staff member may manage: their department's, or all for a city-wide role."""
    if not getattr(user, "is_staff", False):
        return Licence.objects.none()
    qs = _with_related(Licence.objects.all())
    if getattr(user, "sees_all_departments", False):
        return qs
    return qs.filter(issuer_id=user.department_id)
