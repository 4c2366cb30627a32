"""The project's own table of dates (工作日历). A year counts as known only if it has a
:class:`CalendarYear` row: the State Council moves working days every year (调休), so an unknown
year is an error for the calculations, never a weekday guess."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from zhengwu.core.models import TimeStampedModel


class Source(models.TextChoices):
    CHINESECALENDAR = "chinesecalendar", "chinesecalendar 软件包"
    STATE_COUNCIL = "state_council", "国务院通知"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "节假日"
    MAKEUP = "makeup", "调休上班"


class CalendarYear(TimeStampedModel):
    """年度安排 — one year's holiday and make-up schedule, as published by the 国务院办公厅."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    source = models.CharField("来源", max_length=20, choices=Source.choices, default=Source.STATE_COUNCIL)
    notice_title = models.CharField(
        "通知标题", max_length=200, blank=True, help_text="如《国务院办公厅关于2027年部分节假日安排的通知》"
    )
    notice_number = models.CharField("文号", max_length=50, blank=True, help_text="如 国办发明电〔2026〕7号")

    class Meta:
        verbose_name = "工作日历年度"
        verbose_name_plural = "工作日历年度"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年"

    @property
    def version(self) -> str:
        """What a form carries to notice that someone else re-entered the year meanwhile."""
        return self.updated_at.isoformat() if self.updated_at else ""


class SpecialDay(TimeStampedModel):
    """A date that departs from the weekday rule: a holiday (节假日, rest even on a weekday) or a
    make-up working day (调休上班, work even on a weekend). Every other weekday works and every
    other weekend day rests."""

    date = models.DateField("日期", unique=True)
    year = models.ForeignKey(
        CalendarYear, verbose_name="年度", on_delete=models.CASCADE, related_name="special_days"
    )
    kind = models.CharField("类型", max_length=10, choices=DayKind.choices)
    name = models.CharField("节日", max_length=50, help_text="如 国庆节；调休上班日写所调的节日")

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=DayKind.values), name="calendar_specialday_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"

    def clean(self) -> None:
        """The admin edits single rows; these are the facts one row can check about itself."""
        if self.year_id and self.date and self.year.year != self.date.year:
            raise ValidationError({"date": f"{self.date.isoformat()} 不在{self.year.year}年内"})
        if self.kind == DayKind.MAKEUP and self.date and self.date.weekday() < 5:
            raise ValidationError({"date": f"{self.date.isoformat()} 是工作日，调休上班日应为周六或周日"})
