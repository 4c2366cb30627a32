"""Roles from DESIGN.md §1, kept as Django groups with real permissions. This table is the only
place they are defined; ``sync_roles`` makes the database match it after every migrate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission

VIEW_CATALOG = [
    "catalog.view_serviceitem",
    "catalog.view_material",
    "catalog.view_bundle",
    "org.view_department",
]
VIEW_PEOPLE = ["accounts.view_citizen", "accounts.view_enterprise"]


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    does: str
    permissions: tuple[str, ...]


def _all(*apps: str) -> tuple[str, ...]:
    """Every permission of the given apps, resolved when roles are synced."""
    return tuple(f"{app}.*" for app in apps)


ROLES: tuple[Role, ...] = (
    Role(
        "clerk",
        "综合受理窗口人员",
        "综合受理任何部门的事项和一件事（一表、一套材料、一次受理）：查找或登记申请人、核收材料（容缺）、受理、"
        "不予受理、一次性告知补正，预审网上申请，授权的即办件当场办结；本大厅当日预约名单、电话预约，窗口叫号，本窗口当日统计",
        (
            *VIEW_CATALOG,
            *VIEW_PEOPLE,
            "accounts.view_user",
            "accounts.add_citizen",
            "accounts.add_enterprise",
            "applications.view_application",
            "applications.accept_application",
            "hall.view_appointment",
            "hall.book_by_phone",
            "hall.call_number",
        ),
    ),
    Role(
        "proxy_agent",
        "帮办代办员",
        "登记和认领帮办代办申请、登记委托书，凭有效委托书代委托人提交办件（由综合受理窗口预审受理）、"
        "跟踪代办的办件，凭委托书代领结果，办结代办申请",
        (
            *VIEW_CATALOG,
            *VIEW_PEOPLE,
            "accounts.add_citizen",
            "accounts.add_enterprise",
            "applications.view_application",
            "applications.act_as_proxy",
        ),
    ),
    Role(
        "approver",
        "后台审批人员",
        "审查本部门已受理的办件（含一件事分送本部门的事项，待前置事项办结后开始）、特别程序和延长审批、作出决定、办结和制证（电子证照以本部门电子印章签发），管理本部门颁发的电子证照，处理本部门的差评整改",
        (*VIEW_CATALOG, "applications.view_application", "applications.review_application"),
    ),
    Role(
        "delivery_clerk",
        "出件窗口人员",
        "窗口出件（本人或代领）、邮寄出件（EMS邮件号）、确认签收和归档，一件事全部结果一次出件，窗口叫号，本窗口当日统计",
        (
            *VIEW_CATALOG,
            *VIEW_PEOPLE,
            "applications.view_application",
            "applications.deliver_application",
            "hall.call_number",
        ),
    ),
    Role(
        "operator",
        "诉求受理员",
        "登记各渠道诉求（12345、有诉即办专区）",
        (
            *VIEW_CATALOG,
            *VIEW_PEOPLE,
            "appeals.register_appeal",
            "appeals.triage_appeal",
            "appeals.view_appeal",
            "triage.use_triage",
        ),
    ),
    Role(
        "dispatcher",
        "研判派单员",
        "研判分类、分办转办、审核退单和延期",
        (
            *VIEW_CATALOG,
            "appeals.view_appeal",
            "appeals.triage_appeal",
            "appeals.dispatch_appeal",
            "appeals.view_all_appeals",
            "triage.use_triage",
            "triage.view_dispatchrule",
            "appeals.view_category",
            "triage.view_hotissue",
            "triage.create_proactive_task",
        ),
    ),
    Role(
        "handler",
        "承办单位人员",
        "签收、办理、答复诉求，处理本单位的差评整改",
        (*VIEW_CATALOG, "appeals.view_appeal", "appeals.handle_appeal"),
    ),
    Role(
        "supervisor",
        "督办员",
        "催办督办、纪委督办“办不成事”，复核部门对评价的申诉",
        (
            *VIEW_CATALOG,
            "accounts.view_all_departments",
            "appeals.view_appeal",
            "appeals.supervise_appeal",
            "appeals.view_all_appeals",
            "ratings.decide_ratingcontest",
            "analytics.view_statistics",
            "triage.view_hotissue",
            "triage.create_proactive_task",
        ),
    ),
    Role(
        "callback",
        "回访员",
        "回访诉求人，记录解决情况和满意度；每周电话邀评抽样",
        (
            *VIEW_PEOPLE,
            "accounts.view_personal_data",
            "appeals.view_appeal",
            "appeals.callback_appeal",
            "appeals.view_all_appeals",
            "ratings.view_phonesample",
            "ratings.change_phonesample",
        ),
    ),
    Role(
        "admin",
        "管理员",
        "维护事项清单、一件事、证照目录与电子印章、窗口评价器、部门、用户和工作日历",
        (
            *_all(
                "org", "catalog", "calendar", "accounts", "appeals", "applications", "triage", "notifications"
            ),
            *_all("hall", "licences", "ratings", "analytics"),
            "core.view_auditevent",
            "django_tasks_database.view_dbtaskresult",
            "auth.view_group",  # roles are defined in this file; the admin shows them read-only
            "casework.view_dailycounter",
            *_all("axes"),  # lifting a login lockout is the administrator's job
        ),
    ),
    Role(
        "leader",
        "领导",
        "查看全部诉求、办件、热点问题；统计分析（全市总览、按区划和部门下钻、排行榜、月度报告）、问题清零看板和好差评统计",
        (
            "analytics.view_statistics",
            "analytics.view_monthlyreport",
            "analytics.add_monthlyreport",
            *VIEW_CATALOG,
            *VIEW_PEOPLE,
            "accounts.view_all_departments",
            "core.view_auditevent",
            "applications.view_application",
            "applications.view_all_applications",
            "appeals.view_appeal",
            "appeals.view_all_appeals",
            "triage.view_hotissue",
        ),
    ),
    Role(
        "dept_head",
        "部门负责人",
        "查看本部门的统计分析（办件、诉求、好差评指标和下钻明细、本部门窗口和人员）、排行榜、月度报告",
        (
            *VIEW_CATALOG,
            "analytics.view_statistics",
            "analytics.view_monthlyreport",
            "applications.view_application",
            "appeals.view_appeal",
        ),
    ),
)
ROLE_BY_CODE = {r.code: r for r in ROLES}
ROLE_BY_NAME = {r.name: r for r in ROLES}
ADMIN = ROLE_BY_CODE["admin"]
USE_ADMIN = "accounts.use_admin"  # in the admin role through accounts.*; no other role has it


def is_administrator(user: Any) -> bool:
    """The Django admin (管理后台) is for administrators: the 管理员 role (the only one holding
    accounts.use_admin) or a superuser. Every other role works in the pages, which scope what it
    sees; ``is_staff`` only tells staff from citizens (docs/adr/0003-admin-is-for-administrators.md).
    A permission rather than a group lookup: the page already loaded the user's permissions."""
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return bool(user.is_superuser or user.has_perm(USE_ADMIN))


def _resolve(spec: str) -> list[Permission]:
    app_label, codename = spec.split(".", 1)
    qs = Permission.objects.filter(content_type__app_label=app_label)
    if codename != "*":
        qs = qs.filter(codename=codename)
    return list(qs)


def unresolved_permissions() -> list[str]:
    """Specs in ROLES that match no permission (a renamed model, a typo). A test keeps this empty."""
    return [spec for role in ROLES for spec in role.permissions if not _resolve(spec)]


def sync_roles() -> None:
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.name)
        group.permissions.set([perm for spec in role.permissions for perm in _resolve(spec)])


def sync_roles_after_migrate(
    sender: Any, *, apps: Any = global_apps, using: str = "default", **kwargs: Any
) -> None:
    """Permissions of every app are created before the groups are synced: post_migrate for
    accounts can fire before the catalog's permissions exist."""
    from django.contrib.auth.management import create_permissions

    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    sync_roles()
