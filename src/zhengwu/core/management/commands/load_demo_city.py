"""Builds 示范市, the demo city: regions, departments, the hall and its windows, a login for every
role, applicants, the catalogue with its 一件事 bundles, and a few appeals that make 热点问题.
Each app owns its part (its demo.py); this command only puts them in order. Safe to run again:
nothing is duplicated."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from zhengwu.accounts import demo as accounts_demo
from zhengwu.accounts.roles import ROLE_BY_CODE
from zhengwu.analytics.demo import load_demo_figures
from zhengwu.appeals.demo import load_demo_category_departments, publish_demo_services
from zhengwu.appeals.knowledge import load_demo_knowledge
from zhengwu.applications.bundle_demo import load_demo_bundle_applications
from zhengwu.applications.demo import APPLICANT_LOGINS, load_demo_applications
from zhengwu.applications.proxy_demo import AGENT_LOGINS, load_demo_proxy_requests
from zhengwu.catalog import demo as catalog_demo
from zhengwu.hall.demo import load_demo_appointments, load_demo_queue
from zhengwu.licences.demo import load_demo_licences
from zhengwu.org import demo as org_demo
from zhengwu.ratings.demo import load_demo_invitations, load_demo_pads, load_demo_ratings
from zhengwu.triage import demo as triage_demo


class Command(BaseCommand):
    help = "载入示范市演示数据（可重复执行）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="不打印演示账号")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        regions = org_demo.load_demo_regions()
        departments = org_demo.load_demo_departments(regions["city"], catalog_demo.DEPARTMENTS)
        hall = org_demo.load_demo_hall(regions["city"], departments)
        users = accounts_demo.load_demo_users(departments, hall)
        accounts_demo.load_demo_applicants()
        catalog_demo.load_demo_catalog(departments=departments)
        load_demo_knowledge()
        load_demo_category_departments()  # triage suggestions name a department
        publish_demo_services()  # Open311 clients can list and file
        triage_demo.load_demo_dispatch_rules()
        triage_demo.load_demo_hot_issues()  # planted repeated matters, then the 30-day snapshot
        load_demo_licences()  # 电子证照 of the demo's citizens and enterprises, before their 办件 (免提交)
        load_demo_applications()  # 办件 in every state, made step by step in the past
        load_demo_bundle_applications()  # 一件事办件: most handed over, so 实际成效 has figures
        load_demo_ratings()  # 好差评 of the finished applications, and 差评 cases at every step
        load_demo_proxy_requests()  # 帮办代办 requests in every stage, over the demo's agents
        load_demo_appointments()  # a plan for the hall, its slots and a few bookings
        load_demo_queue()  # the hall's numbers over the past working days, and today's so far
        pad_links = load_demo_pads()  # a rating pad at each staffed window, and the services rated on them
        load_demo_invitations()  # 智能邀评 SMS of the last days' finished matters, last week's phone sample
        load_demo_figures()  # the statistics roll-up of all of the above, so the dashboards show figures at once
        if options["quiet_logins"]:
            return
        self.stdout.write(
            self.style.SUCCESS(f"示范市演示数据已载入。演示账号（密码均为 {accounts_demo.DEMO_PASSWORD}）：")
        )
        for demo in users:
            self.stdout.write(f"  {demo.username:<11} {demo.name}  {ROLE_BY_CODE[demo.role].name}")
        for username, name, what in (*APPLICANT_LOGINS, *AGENT_LOGINS):
            self.stdout.write(f"  {username:<11} {name}  {what}")
        window, token = pad_links[0]
        self.stdout.write(
            f"窗口评价器：在{window.number}窗口的平板上打开 /pad/bind/{token}/ 即绑定该窗口，无需登录"
            "（其他窗口的评价器由管理员在管理后台“评价器”签发）"
        )
