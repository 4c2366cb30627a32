"""Writes about people. Viewing full personal data is itself an action and is recorded."""

from __future__ import annotations

from typing import Any

from django.db import models

from zhengwu.core import audit
from zhengwu.core.errors import NotAllowed


def reveal_personal_data(*, person: models.Model, by: Any, ip: str | None = None) -> None:
    """Allow ``by`` to see ``person``'s whole ID number and phone, and record that they looked."""
    if not by.has_perm("accounts.view_personal_data"):
        raise NotAllowed("您没有查看完整个人信息的权限")
    audit.record(actor=by, action="查看个人信息", obj=person, summary=f"查看 {person} 的完整身份信息", ip=ip)
