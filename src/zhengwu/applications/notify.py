"""Messages about an application, through zhengwu.notifications, sent after the change commits.
An SMS never contains the query code nor staff names."""

from __future__ import annotations

import logging

from zhengwu.notifications.services import MOBILE, notify

from .models import Application

logger = logging.getLogger("zhengwu.applications")


def _signature() -> str:
    from django.conf import settings

    return f"【{settings.SMS_SIGNATURE}】"


def posted(application_id: int) -> None:
    """Tell the applicant the result was posted, with the 邮件号."""
    try:
        application = Application.objects.select_related("delivery", "item").get(pk=application_id)
        phone = application.postal_phone or application.contact_phone
        if not MOBILE.match(phone or ""):
            return
        notify(
            phone=phone,
            body=(
                f"{_signature()}您的办件（{application.number}，{application.item.name}）办理结果已通过EMS寄出，"
                f"邮件号{application.delivery.tracking_number}，请注意查收。"
            ),
            about=application,
            dedupe_key=f"applications.application:{application.pk}:posted:{application.delivery.tracking_number}",
        )
    except Exception:
        logger.exception("邮寄短信未能排队：办件 %s", application_id)


def _department_contact(application: Application) -> str:
    return application.department.phone or ""


def deferred_overdue(application_id: int) -> None:
    """Tell the department (and the applicant) that a 容缺 material is past its hand-in deadline."""
    try:
        application = Application.objects.select_related("department", "item").get(pk=application_id)
        if MOBILE.match(application.contact_phone or ""):
            notify(
                phone=application.contact_phone,
                body=(
                    f"{_signature()}您的办件（{application.number}）有容缺材料已过承诺补交期限，"
                    "请尽快到窗口补交，以免影响办理。"
                ),
                about=application,
                dedupe_key=f"applications.application:{application.pk}:deferred_overdue:applicant",
            )
        _tell_department(application, "容缺材料逾期未补交", "deferred_overdue")
    except Exception:
        logger.exception("容缺逾期提醒未能排队：办件 %s", application_id)


def deadline(application_id: int, kind: str) -> None:
    """临期 / 超期 alert to the department's approvers."""
    try:
        application = Application.objects.select_related("department", "item").get(pk=application_id)
        # Keyed by the deadline too: a deadline moved later (pause ended, extension) is alerted afresh.
        stamp = application.due_at.isoformat() if application.due_at else "none"
        what = "即将超期（临期）" if kind == "yellow" else "已超期"
        _tell_department(application, what, f"deadline:{kind}:{stamp}")
    except Exception:
        logger.exception("时限提醒未能排队：办件 %s", application_id)


def _tell_department(application: Application, what: str, key: str) -> None:
    from zhengwu.accounts.models import User

    approvers = User.objects.filter(
        department_id=application.department_id,
        is_active=True,
        groups__permissions__codename="review_application",
    ).distinct()
    for user in approvers:
        if MOBILE.match(user.phone or ""):
            notify(
                phone=user.phone,
                body=f"{_signature()}办件{application.number}（{application.item.name}）{what}，请及时处理。",
                about=application,
                dedupe_key=f"applications.application:{application.pk}:{key}:user:{user.pk}",
            )


def _tell_bundle_applicant(parent_id: int, body: str, event: str) -> None:
    from .models import BundleApplication

    try:
        parent = BundleApplication.objects.get(pk=parent_id)
        phone = parent.postal_phone if event == "posted" and parent.postal_phone else parent.contact_phone
        if not MOBILE.match(phone or ""):
            return
        notify(
            phone=phone,
            body=f"{_signature()}您的一件事办件（{parent.number}）{body}",
            about=parent,
            dedupe_key=f"applications.bundleapplication:{parent.pk}:{event}:{parent.version}",
        )
    except Exception:
        logger.exception("一件事短信未能排队：%s", parent_id)


def bundle_item_refused(parent_id: int, note: str) -> None:
    """Tell the applicant an item of the bundle was refused, and what goes on."""
    _tell_bundle_applicant(parent_id, f"有事项不予许可：{note}。详情请登录查看或致电咨询。", "item_refused")


def bundle_posted(parent_id: int) -> None:
    from .models import BundleApplication

    parent = BundleApplication.objects.filter(pk=parent_id).first()
    if parent is not None:
        _tell_bundle_applicant(
            parent_id,
            f"各项办理结果已通过EMS一并寄出，邮件号{parent.tracking_number}，请注意查收。",
            "posted",
        )
