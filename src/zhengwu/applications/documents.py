"""文书: the documents issued on an application. ``issue`` numbers one and freezes what it says
(``Notice.data``), so the PDF drawn later (pdf.py) prints exactly what the applicant was told,
whatever changes afterwards. Dates are the working-day calendar's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from zhengwu.casework.chain import who
from zhengwu.casework.numbers import daily_number

from .models import Application, Notice, NoticeKind

# 文书编号 prefixes: 受理 SL, 不予受理 BSL, 补正 BZ, 准予许可 ZY, 不予许可 BXK, 送达回证 SD.
PREFIX = {
    NoticeKind.ACCEPTANCE: "SL",
    NoticeKind.REFUSAL: "BSL",
    NoticeKind.SUPPLEMENT: "BZ",
    NoticeKind.APPROVAL: "ZY",
    NoticeKind.DENIAL: "BXK",
    NoticeKind.SERVICE: "SD",
}


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y年%m月%d日") if moment else ""


def base_data(application: Application, at: datetime) -> dict[str, Any]:
    """What every notice prints about the application."""
    item = application.item
    return {
        "application_number": application.number,
        "department": application.department.name,
        "item": item.name,
        "item_code": item.implementation_code,
        "applicant": application.applicant_name,
        "applicant_kind": application.get_applicant_kind_display(),
        "submitted_on": _local(application.submitted_at),
        "issued_on": _local(at),
        "accepted_on": _local(application.accepted_at),
        "limit_days": format(application.limit_days.normalize(), "f") if application.accepted_at else "",
        "due_on": _local(application.due_at),
        "consultation_phone": item.consultation_phone,
    }


def served(application: Application) -> str:
    """What a 送达回证 says was served: the decision document and the result, as numbered."""
    decision = (
        application.notices.filter(kind__in=[NoticeKind.APPROVAL, NoticeKind.DENIAL])
        .order_by("-issued_at")
        .first()
    )
    item = f"《{application.item.name}》"
    parts = [f"{item}{decision.get_kind_display()}（文书编号：{decision.number}）"] if decision else []
    if application.result_number:
        parts.append(f"{application.result_name or '办理结果'}（{application.result_number}）")
    return "、".join(parts) or (application.result_name or "办理结果")


def issue(application: Application, kind: NoticeKind, *, by: Any, at: datetime, **details: Any) -> Notice:
    """Number and store one notice. Called inside the service that made the decision, so the
    notice and the step stand or fall together."""
    if kind == NoticeKind.SERVICE:
        details.setdefault("documents", served(application))
    day = timezone.localdate(at)
    number = daily_number(PREFIX[kind], kind=f"notice-{PREFIX[kind]}", at=day)
    actor_id, label = who(by)
    data = {**base_data(application, at), **details, "issued_by": label}
    return Notice.objects.create(
        application=application, kind=kind, number=number, issued_at=at, issued_by_id=actor_id, data=data
    )
