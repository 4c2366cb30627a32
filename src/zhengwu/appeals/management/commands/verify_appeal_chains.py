"""Check every appeal's event chain and report the first broken link of each broken one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengwu.appeals.events import verify_chain
from zhengwu.appeals.models import Appeal


class Command(BaseCommand):
    help = "校验所有诉求轨迹的哈希链，报告每件诉求第一个断开的位置"

    def handle(self, *args: Any, **options: Any) -> None:
        broken = 0
        checked = 0
        for appeal in Appeal.objects.only("pk", "number").iterator():
            checked += 1
            if (seq := verify_chain(appeal)) is not None:
                broken += 1
                self.stdout.write(f"{appeal.number}: 第{seq}条轨迹与哈希链不符")
        if broken:
            raise CommandError(f"共校验{checked}件诉求，{broken}件的轨迹被改动")
        self.stdout.write(self.style.SUCCESS(f"共校验{checked}件诉求，轨迹完整"))
