"""What each user can open now. The header and the home page both read this list, so a link
appears only for those whose permissions let the page answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from zhengwu.accounts.roles import is_administrator
from zhengwu.appeals.selectors import BOARD_READERS


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    description: str
    # None: anyone; "administrator": accounts.roles.is_administrator; "window": the account sits
    # at a hall window; several: any one of them
    permission: str | tuple[str, ...] | None = None
    public: bool = False
    header: bool = True  # public links only: shown in the page header as well as on the home page


LINKS: tuple[Link, ...] = (
    Link("办事指南", "catalog:guide_search", "按名称、部门、人生事件查找事项和一件事", public=True),
    Link("一件事一次办", "catalog:bundle_list", "一次告知、一表申请、一套材料、一窗受理", public=True),
    Link("我要反映", "appeals_public:new", "向12345提交诉求，凭工单号和查询码查询进度", public=True),
    Link("查询进度", "appeals_public:track", "凭工单号和查询码查看诉求办理进度和答复", public=True),
    Link(
        "办件查询",
        "applications_public:track",
        "凭办件编号和查询码查看办件进度和文书",
        public=True,
        header=False,
    ),
    Link("我的办件", "applications_public:mine", "网上申请的办件、补正、文书下载", public=True, header=False),
    Link("我的证照", "licences:mine", "电子证照、下载、授权用证和用证记录", public=True, header=False),
    Link("证照核验", "licences_public:verify", "扫码或输入证照标识，核验电子证照真伪和状态", public=True),
    Link(
        "预约办事", "appointments:new", "选择大厅、事项和时段，网上预约到大厅办理", public=True, header=False
    ),
    Link("当日预约", "hall:day_list", "本大厅当日预约名单、电话预约、导出 Excel", "hall.book_by_phone"),
    Link("窗口叫号", "hall:window", "叫号、重呼、过号、转移，等候和办理时长", "hall.call_number"),
    Link("在线取号", "hall:queue_online", "到大厅前先取号，按预计时间到场签到", public=True, header=False),
    Link(
        "帮办代办",
        "applications_public:proxy_items",
        "老年人、残疾人、孕产妇和重点项目企业可申请帮办代办的事项",
        public=True,
    ),
    Link(
        "帮办代办工作台",
        "applications:proxy_workbench",
        "帮办代办申请的登记、认领、委托书、代为申请和跟踪",
        ("applications.act_as_proxy", "applications.accept_application"),
    ),
    Link(
        "综合受理",
        "applications:intake",
        "无差别受理各部门事项：核验申请人、收取材料、受理或一次性告知",
        "applications.accept_application",
    ),
    Link(
        "窗口办件",
        "applications:window_queue",
        "网上申请待预审、后台退回、容缺待补交的办件",
        "applications.accept_application",
    ),
    Link(
        "后台审批",
        "applications:review_queue",
        "本部门已受理的办件：审查、特别程序、决定、办结、制证",
        "applications.review_application",
    ),
    Link(
        "出件",
        "applications:delivery_queue",
        "待出件的办件：窗口领取、邮寄、签收",
        "applications.deliver_application",
    ),
    Link(
        "全部办件",
        "applications:list",
        "按事项、部门、状态、时限查询办件，导出 Excel",
        "applications.view_all_applications",
    ),
    Link(
        "电子证照",
        "licences_staff:list",
        "本部门颁发的电子证照：查询、导出、变更、注销、吊销",
        ("applications.review_application", "accounts.view_all_departments"),
    ),
    Link(
        "差评整改",
        "ratings:list",
        "本部门收到的差评：回访核实、整改、反馈办结、申诉，导出 Excel",
        (
            "applications.accept_application",
            "applications.review_application",
            "applications.deliver_application",
            "appeals.handle_appeal",
            "accounts.view_all_departments",
        ),
    ),
    Link(
        "评价统计",
        "ratings_figures:figures",
        "按部门、窗口、事项的评价数、好评率、整改率、回访率，明细和导出",
        (
            "applications.accept_application",
            "applications.review_application",
            "applications.deliver_application",
            "appeals.handle_appeal",
            "accounts.view_all_departments",
        ),
    ),
    Link("评价公示", "ratings_public:figures", "各部门、窗口、事项的好差评公示", public=True, header=False),
    Link(
        "评价申诉", "ratings:contests", "各部门对评价的申诉：复核成立或不成立", "ratings.decide_ratingcontest"
    ),
    Link("诉求登记", "appeals:intake", "登记热线、窗口、信件等渠道的诉求", "appeals.register_appeal"),
    Link(
        "派单台", "appeals:dispatch_queue", "待研判、待派单、退单、延期和答复审核", "appeals.dispatch_appeal"
    ),
    Link("部门收件箱", "appeals:inbox", "待签收、办理中、临期和超期的诉求", "appeals.handle_appeal"),
    Link("回访", "appeals:callback_queue", "已答复待回访的诉求", "appeals.callback_appeal"),
    Link(
        "问题清零",
        "analytics:board",
        "各部门在办、超期诉求和纪委督办红名单",
        BOARD_READERS,
    ),
    Link(
        "统计分析",
        "analytics:overview",
        "办件、12345、好差评、大厅指标：按期间、区划、部门、窗口下钻到明细，导出 Excel",
        "analytics.view_statistics",
    ),
    Link(
        # Linked for those who may pick any window and for window staff (their own window): a
        # department head has no window to show and would be refused.
        "窗口当日",
        "analytics:window_day",
        "窗口今天的受理、办结、叫号和评价",
        ("accounts.view_all_departments", "window"),
    ),
    Link(
        "排行榜",
        "analytics:rankings",
        "部门、窗口、县区按加权得分排名，与上期相比",
        "analytics.view_statistics",
    ),
    Link(
        "月度报告",
        "analytics:reports",
        "每月统计报告 PDF：生成、下载历次报告",
        "analytics.view_monthlyreport",
    ),
    Link(
        "统计公示",
        "analytics:public",
        "全市办件量、按时办结率、12345 满意率等公开数据",
        public=True,
        header=False,
    ),
    Link(
        "热点问题",
        "triage:hotspots",
        "同一时段、同一地点的多人同类诉求，生成主动治理任务（未诉先办）",
        "triage.view_hotissue",
    ),
    Link("事项清单导入导出", "catalog:excel", "以 Excel 导入、导出事项和材料", "catalog.add_serviceitem"),
    Link(
        "工作日历",
        "calendar:year_list",
        "节假日与调休安排，按国务院通知录入新年度",
        "calendar.view_calendaryear",
    ),
    Link("人员", "accounts:staff_list", "本部门人员与角色", "accounts.view_user"),
    Link("自然人与法人", "accounts:people", "申请人信息（证件号码脱敏显示）", "accounts.view_citizen"),
    Link("管理后台", "admin:index", "所有数据的维护", "administrator"),
)


def _allowed(link: Link, user: Any) -> bool:
    if link.public:
        return True
    if user is None or not user.is_authenticated:
        return False
    if link.permission is None:
        return True
    permissions = link.permission if isinstance(link.permission, tuple) else (link.permission,)
    return any(_holds(user, p) for p in permissions)


def _holds(user: Any, permission: str) -> bool:
    if permission == "administrator":
        return is_administrator(user)
    if permission == "window":
        return getattr(user, "window_id", None) is not None
    return bool(user.has_perm(permission))


def header_links(user: Any) -> list[dict[str, Any]]:
    """The header keeps to the public pages plus the way back to one's own work: role pages are
    listed on the home page, where there is room to say what each is for."""
    links = [link for link in links_for(user) if link["public"] and link["header"]]
    if user is not None and user.is_authenticated and not user.is_staff:
        links.append(
            {
                "label": "我的办件",
                "url": reverse("applications_public:mine"),
                "description": "",
                "public": False,
            }
        )
        links.append(
            {"label": "我的证照", "url": reverse("licences:mine"), "description": "", "public": False}
        )
    elif user is not None and user.is_authenticated:
        links.append({"label": "工作台", "url": reverse("home"), "description": "", "public": False})
        if is_administrator(user):
            links.append(
                {"label": "管理后台", "url": reverse("admin:index"), "description": "", "public": False}
            )
    return links


def links_for(user: Any) -> list[dict[str, Any]]:
    out = []
    for link in LINKS:
        if not _allowed(link, user):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue
        out.append(
            {
                "label": link.label,
                "url": url,
                "description": link.description,
                "public": link.public,
                "header": link.header,
            }
        )
    return out
