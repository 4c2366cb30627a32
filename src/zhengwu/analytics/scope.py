"""Who sees which figures. Statistics are for staff holding ``analytics.view_statistics``: those
who see every department (leader, supervisor, administrator) see the city and may narrow it to a
region or a department; everyone else (部门负责人, window staff) sees their own department only —
naming another department or a region outside it is 403. The public sees the public figures only
(public_views.py), never through a scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhengwu.core.errors import InvalidInput, NotAllowed, NotFound
from zhengwu.org.models import Department, Region

from .figures import departments_in

VIEW = "analytics.view_statistics"


@dataclass(frozen=True)
class Scope:
    department_ids: frozenset[int] | None  # None: the whole city
    label: str
    sees_all: bool
    department: Department | None = None  # the one department narrowed to
    region: Region | None = None  # the region narrowed to


def _id(value: str | None, field: str, label: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise InvalidInput(f"{label}参数应为数字编号，收到“{text[:20]}”", field=field)
    return int(text)


def may_view(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW))


def scope_for(user: Any, *, department: str | None = None, region: str | None = None) -> Scope:
    """The departments ``user`` may see figures of, narrowed to ``department`` or ``region``
    (query parameters, as text)."""
    if not may_view(user):
        raise NotAllowed("没有查看统计分析的权限")
    sees_all = bool(user.sees_all_departments)
    dept_id = _id(department, "department", "部门")
    region_id = _id(region, "region", "区划")
    if not sees_all and user.department_id is None:
        raise NotAllowed("您的账号未归属任何部门，不能查看部门统计")
    if dept_id is not None:
        dept = Department.objects.filter(pk=dept_id).select_related("region").first()
        if dept is None:
            raise NotFound(f"没有编号为 {dept_id} 的部门", field="department")
        if not sees_all and dept_id != user.department_id:
            raise NotAllowed("只能查看本部门的统计，不能查看其他部门", field="department")
        return Scope(frozenset({dept_id}), dept.name, sees_all, department=dept)
    if region_id is not None:
        reg = Region.objects.filter(pk=region_id).first()
        if reg is None:
            raise NotFound(f"没有编号为 {region_id} 的区划", field="region")
        ids = departments_in(region_id)
        if not sees_all:
            if user.department_id not in ids:
                raise NotAllowed("只能查看本部门的统计，不能按其他区划查看", field="region")
            ids = {user.department_id}
        return Scope(frozenset(ids), reg.name, sees_all, region=reg)
    if sees_all:
        return Scope(None, "全市", True)
    own = user.department
    return Scope(frozenset({user.department_id}), own.name, False, department=own)
