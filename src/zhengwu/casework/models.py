from __future__ import annotations

from django.conf import settings
from django.db import models


class ChainedEvent(models.Model):
    """One entry of a matter's history (轨迹). Append-only; each carries the MAC of the previous
    entry of the same matter (casework/chain.py). Concrete models add the FK to their matter,
    named after it, with ``related_name="events"``."""

    seq = models.PositiveIntegerField("序号")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人（留痕）", max_length=100, blank=True)
    action = models.CharField("动作", max_length=40)
    from_state = models.CharField("原状态", max_length=20, blank=True)
    to_state = models.CharField("新状态", max_length=20, blank=True)
    public = models.BooleanField("申请人可见", default=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("变更内容", default=dict, blank=True)
    prev_hash = models.CharField("前一条摘要", max_length=64)
    hash = models.CharField("摘要", max_length=64, unique=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("轨迹只能追加，不能修改")
        super().save(*args, **kwargs)


class DailyCounter(models.Model):
    """当日序号 — the running number of one kind of matter on one day, behind readable numbers
    such as BJ-20261204-000123. Locked while a number is drawn, so two intakes never share one."""

    kind = models.CharField("类别", max_length=20)
    day = models.DateField("日期")
    value = models.PositiveIntegerField("当日序号", default=0)

    class Meta:
        verbose_name = "当日序号"
        verbose_name_plural = "当日序号"
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="daily_counter_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.day:%Y-%m-%d} #{self.value}"
