"""A small appeals desk: an operator, a dispatcher, three departments with a handler each, a
callback clerk and a supervisor; and helpers that bring an appeal to any state through the real
services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from zhengwu.appeals import services
from zhengwu.appeals.models import Appeal, Assignment, Category, HandlingMode
from zhengwu.appeals.workflow import AppealState as S
from zhengwu.org.models import Department

from ..factories import DepartmentFactory, UserFactory


@dataclass
class Desk:
    operator: Any
    dispatcher: Any
    lead_dept: Department
    co_dept: Department
    other_dept: Department
    lead_handler: Any
    co_handler: Any
    other_handler: Any
    callback: Any
    supervisor: Any
    category: Category

    def register(self, **kwargs: Any) -> Appeal:
        values = {
            "channel": "hotline",
            "appeal_type": "complaint",
            "title": "小区门口道路破损",
            "body": "示范市东城区幸福小区门口道路破损严重，雨天积水，请尽快修复。",
            "contact_name": "张先生",
            "contact_phone": "13800000001",
            "address": "东城区幸福小区",
            "by": self.operator,
        }
        values.update(kwargs)
        appeal, _ = services.register_appeal(**values)
        return appeal

    def lead(self, appeal: Appeal) -> Assignment:
        return appeal.assignments.get(role="lead", state__in=["pending", "signed", "returned"])

    def co(self, appeal: Appeal) -> Assignment:
        return appeal.assignments.filter(role="co").exclude(state="cancelled").get()

    def reach(self, state: S) -> Appeal:
        """An appeal in ``state``, reached through the services as people would."""
        if state == S.MERGED:
            original = self.register(title="原工单")
            appeal = self.register()
            services.merge(appeal=appeal, into=original, by=self.operator)
            return refresh(appeal)
        appeal = self.register()
        if state == S.REGISTERED:
            return appeal
        services.triage(
            appeal=appeal, category=self.category, handling_mode=HandlingMode.DISPATCH, by=self.dispatcher
        )
        if state == S.TRIAGED:
            return refresh(appeal)
        services.dispatch(appeal=appeal, lead=self.lead_dept, co_handlers=[self.co_dept], by=self.dispatcher)
        if state == S.DISPATCHED:
            return refresh(appeal)
        if state == S.RETURNED:
            services.return_assignment(
                assignment=self.lead(appeal), reason="不属于本部门职责", by=self.lead_handler
            )
            return refresh(appeal)
        services.sign(assignment=self.lead(appeal), by=self.lead_handler)
        if state == S.IN_PROGRESS:
            return refresh(appeal)
        services.submit_reply(appeal=appeal, text="已安排施工队修复，预计三日内完工。", by=self.lead_handler)
        if state == S.REPLY_REVIEW:
            return refresh(appeal)
        services.approve_reply(appeal=appeal, by=self.dispatcher)
        if state == S.REPLIED:
            return refresh(appeal)
        services.record_callback(
            appeal=appeal, reached=True, solved="solved", satisfaction=1, by=self.callback
        )
        if state == S.CLOSED:
            return refresh(appeal)
        services.archive(appeal=appeal, by=self.dispatcher)
        assert state == S.ARCHIVED
        return refresh(appeal)


def refresh(appeal: Appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)


def later(days: int = 10):
    return timezone.now() + timedelta(days=days)


@pytest.fixture
def desk(db) -> Desk:
    lead_dept, co_dept, other_dept = (
        DepartmentFactory(name=n) for n in ("示范市住建局", "示范市城管局", "示范市水利局")
    )
    parent = Category.objects.get(name="城乡建设", parent=None)
    return Desk(
        operator=UserFactory(roles=["operator"], name="孙受理"),
        dispatcher=UserFactory(roles=["dispatcher"], name="周派单"),
        lead_dept=lead_dept,
        co_dept=co_dept,
        other_dept=other_dept,
        lead_handler=UserFactory(roles=["handler"], department=lead_dept, name="住建承办"),
        co_handler=UserFactory(roles=["handler"], department=co_dept, name="城管承办"),
        other_handler=UserFactory(roles=["handler"], department=other_dept, name="水利承办"),
        callback=UserFactory(roles=["callback"], name="冯回访"),
        supervisor=UserFactory(roles=["supervisor"], name="郑督办"),
        category=parent.children.get(name="城市建设和市政管理"),
    )
