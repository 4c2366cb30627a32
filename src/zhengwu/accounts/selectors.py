"""Reads about people, scoped to what the asking user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import User


def users_visible_to(user: Any) -> QuerySet[User]:
    """Staff see their own department's colleagues; admins, leaders and supervisors see all."""
    qs = User.objects.select_related("department", "window")
    if user.sees_all_departments:
        return qs
    if user.department_id is None:
        return qs.filter(pk=user.pk)
    return qs.filter(department_id=user.department_id)
