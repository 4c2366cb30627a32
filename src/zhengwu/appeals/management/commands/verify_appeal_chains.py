"""Verify every appeal's history (keyed chain, the row's seal, every checkpoint) and report the
first break of each broken one. ``--checkpoint`` then records today's checkpoint, as the daily job
does, and prints its root for publishing outside the database."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengwu.appeals.events import rekey, verify_all


class Command(BaseCommand):
    help = "校验所有诉求轨迹（带密钥的哈希链、诉求记录的封印、每日检查点），报告每件诉求第一个不符的位置"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint", action="store_true", help="校验后记录检查点并打印其根值（每日定时任务即如此）"
        )

        parser.add_argument(
            "--rekey",
            action="store_true",
            help="更换密钥：先用环境变量 OLD_HISTORY_CHAIN_KEY 中的旧密钥校验全部轨迹，再用 HISTORY_CHAIN_KEY 重算",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rekey"]:
            old = os.environ.get("OLD_HISTORY_CHAIN_KEY", "")
            if not old:
                raise CommandError("请在环境变量 OLD_HISTORY_CHAIN_KEY 中给出旧密钥")
            try:
                n = rekey(old_key=old)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(f"已用新密钥重算{n}件诉求的轨迹和全部检查点"))
            return
        report = verify_all(checkpoint=options["checkpoint"])
        for number, problem in report.broken.items():
            self.stdout.write(f"{number}: {problem}")
        for pk in report.bad_checkpoints:
            self.stdout.write(f"检查点{pk}：根值与记录不符，检查点被改动")
        if report.checkpoint is not None:
            cp = report.checkpoint
            self.stdout.write(f"检查点 {cp.at:%Y-%m-%d %H:%M:%S} 根值 {cp.root}（新记录链头{cp.moved}个）")
        summary = f"共校验{report.appeals}件诉求、{report.events}条轨迹、{report.checkpoints}个检查点"
        if not report.ok:
            raise CommandError(
                f"{summary}，{len(report.broken)}件诉求的轨迹与记录不符"
                + (f"，{len(report.bad_checkpoints)}个检查点被改动" if report.bad_checkpoints else "")
            )
        self.stdout.write(self.style.SUCCESS(f"{summary}，轨迹完整"))
