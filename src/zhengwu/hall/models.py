"""预约 — appointment plans per hall, the slots they open on working days, and the bookings.

A slot's ``booked`` and ``priority_booked`` are counted in the row and capped by check
constraints, so no race can overbook it; the booking service raises them with one conditional
UPDATE. An appointment keeps ``checked_in_at`` and its state so that a later check-in at the hall
can turn it into a queue number (取号)."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from zhengwu.core.models import TimeStampedModel
from zhengwu.core.validators import mask_phone
from zhengwu.org.models import WindowKind


class AppointmentPlan(TimeStampedModel):
    """预约计划 — when a hall (or one window group of it) takes appointments, for which items."""

    hall = models.ForeignKey("org.Hall", verbose_name="大厅", on_delete=models.CASCADE, related_name="plans")
    name = models.CharField("计划名称", max_length=100)
    window_kind = models.CharField(
        "窗口类型", max_length=20, choices=WindowKind.choices, default=WindowKind.COMPREHENSIVE
    )
    items = models.ManyToManyField(
        "catalog.ServiceItem",
        verbose_name="可预约事项",
        blank=True,
        related_name="appointment_plans",
        help_text="不选则大厅受理的全部事项均可预约",
    )
    weekdays = models.CharField("预约日（星期）", max_length=7, default="12345", help_text="1=周一 … 7=周日")
    periods = models.CharField(
        "预约时段",
        max_length=100,
        default="09:00-12:00 13:30-17:30",
        help_text="以空格分隔的时间段，须在大厅办公时间之内",
    )
    slot_minutes = models.PositiveSmallIntegerField("每段分钟数", default=30)
    capacity = models.PositiveSmallIntegerField("每段普通名额", default=4)
    priority_capacity = models.PositiveSmallIntegerField(
        "每段优先名额", default=1, help_text="留给长者（60周岁及以上）和特殊群体"
    )
    cutoff_hours = models.PositiveSmallIntegerField("提前截止（小时）", default=2)
    days_ahead = models.PositiveSmallIntegerField("开放天数", default=7)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "预约计划"
        verbose_name_plural = "预约计划"
        ordering = ["hall", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="plan_slot_at_least_5_minutes"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1) | Q(priority_capacity__gte=1), name="plan_has_places"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hall} · {self.name}"


class Slot(models.Model):
    """预约时段 — one start time of a plan with its places and how many are taken."""

    plan = models.ForeignKey(
        AppointmentPlan, verbose_name="预约计划", on_delete=models.CASCADE, related_name="slots"
    )
    hall = models.ForeignKey("org.Hall", verbose_name="大厅", on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveSmallIntegerField("普通名额")
    priority_capacity = models.PositiveSmallIntegerField("优先名额", default=0)
    booked = models.PositiveSmallIntegerField("已约普通名额", default=0)
    priority_booked = models.PositiveSmallIntegerField("已约优先名额", default=0)

    class Meta:
        verbose_name = "预约时段"
        verbose_name_plural = "预约时段"
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "starts_at"], name="slot_unique_start_in_plan"),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="slot_booked_within_capacity"
            ),
            models.CheckConstraint(
                condition=Q(priority_booked__lte=F("priority_capacity")),
                name="slot_priority_booked_within_capacity",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
        ]
        indexes = [models.Index(fields=["hall", "starts_at"], name="slot_hall_start")]

    def __str__(self) -> str:
        return f"{self.hall} {self.label}"

    @property
    def label(self) -> str:
        from django.utils import timezone

        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"

    @property
    def day(self) -> date:
        from django.utils import timezone

        return timezone.localtime(self.starts_at).date()

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def priority_free(self) -> int:
        return max(self.priority_capacity - self.priority_booked, 0)


class AppointmentState(models.TextChoices):
    BOOKED = "booked", "已预约"
    CANCELLED = "cancelled", "已取消"
    CHECKED_IN = "checked_in", "已签到"
    NO_SHOW = "no_show", "爽约"


class BookingChannel(models.TextChoices):
    ONLINE = "online", "网上预约"
    PHONE = "phone", "电话预约"


class Appointment(TimeStampedModel):
    """预约 — one person's booking of a slot for one item."""

    code = models.CharField("预约号", max_length=30, unique=True)
    hall = models.ForeignKey(
        "org.Hall", verbose_name="大厅", on_delete=models.PROTECT, related_name="appointments"
    )
    slot = models.ForeignKey(
        Slot, verbose_name="预约时段", on_delete=models.PROTECT, related_name="appointments"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="事项", on_delete=models.PROTECT, related_name="appointments"
    )
    citizen = models.ForeignKey(
        "accounts.Citizen",
        verbose_name="预约人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("手机号", max_length=20)
    priority = models.BooleanField("优先（长者/特殊群体）", default=False)
    priority_reason = models.CharField("优先原因", max_length=50, blank=True)
    used_priority_place = models.BooleanField("占用优先名额", default=False)
    channel = models.CharField("预约渠道", max_length=10, choices=BookingChannel.choices)
    state = models.CharField(
        "状态", max_length=12, choices=AppointmentState.choices, default=AppointmentState.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    no_show_at = models.DateTimeField("记为爽约时间", null=True, blank=True)

    class Meta:
        verbose_name = "预约"
        verbose_name_plural = "预约"
        ordering = ["slot__starts_at", "code"]
        permissions = [
            ("book_by_phone", "可为群众电话预约、查看本大厅当日预约"),
        ]
        constraints = [
            # The same person holds one live booking per slot.
            models.UniqueConstraint(
                fields=["slot", "contact_phone"],
                condition=Q(state="booked"),
                name="appointment_one_per_phone_per_slot",
            ),
            models.UniqueConstraint(
                fields=["slot", "citizen"],
                condition=Q(state="booked", citizen__isnull=False),
                name="appointment_one_per_citizen_per_slot",
            ),
            models.CheckConstraint(
                condition=~Q(state="checked_in") | Q(checked_in_at__isnull=False),
                name="appointment_checked_in_has_time",
            ),
        ]
        indexes = [models.Index(fields=["hall", "state"], name="appointment_hall_state")]

    def __str__(self) -> str:
        return self.code

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def starts_at(self) -> datetime:
        return self.slot.starts_at


class TicketState(models.TextChoices):
    WAITING = "waiting", "等候"
    CALLED = "called", "已叫号"
    SERVING = "serving", "办理中"
    DONE = "done", "已完成"
    MISSED = "missed", "过号"
    LAPSED = "lapsed", "已失效"
    TRANSFERRED = "transferred", "已转移"


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", "现场取号"
    ONLINE = "online", "在线取号"
    APPOINTMENT = "appointment", "预约签到"


class QueueTicket(TimeStampedModel):
    """排队号 (取号/叫号) — one number of a hall's day, readable as A001 (现场), W001 (在线),
    Y001 (预约) or L001 (长者优先). ``rank`` orders the call: 0 for priority and appointment
    numbers (and numbers transferred on, which already waited), 1 for walk-ins; then the time
    the number was taken, so an online number keeps the place it took before its holder came."""

    hall = models.ForeignKey(
        "org.Hall", verbose_name="大厅", on_delete=models.PROTECT, related_name="tickets"
    )
    day = models.DateField("日期")
    number = models.CharField("号码", max_length=10)
    window_kind = models.CharField("业务类型", max_length=20, choices=WindowKind.choices)
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name="事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_tickets",
    )
    source = models.CharField("取号方式", max_length=12, choices=TicketSource.choices)
    priority = models.BooleanField("优先", default=False)
    rank = models.PositiveSmallIntegerField("叫号顺序等级", default=1)
    state = models.CharField("状态", max_length=12, choices=TicketState.choices, default=TicketState.WAITING)
    citizen = models.ForeignKey(
        "accounts.Citizen",
        verbose_name="取号人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_tickets",
    )
    appointment = models.OneToOneField(
        Appointment,
        verbose_name="预约",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    transferred_from = models.ForeignKey(
        "self", verbose_name="转自", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="叫号窗口",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    issued_at = models.DateTimeField("取号时间")
    checked_in_at = models.DateTimeField("到场时间", null=True, blank=True)
    estimated_call_at = models.DateTimeField("预计叫号时间", null=True, blank=True)
    expires_at = models.DateTimeField("未到场失效时间", null=True, blank=True)
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    call_count = models.PositiveSmallIntegerField("叫号次数", default=0)
    served_at = models.DateTimeField("开始办理时间", null=True, blank=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["day", "rank", "issued_at"]
        permissions = [("call_number", "可在本窗口叫号、重呼、过号、转移")]
        constraints = [
            # A transferred number lives on as a new row with the same number.
            models.UniqueConstraint(
                fields=["hall", "day", "number"],
                condition=~Q(state="transferred"),
                name="ticket_unique_number_per_hall_day",
            ),
            models.CheckConstraint(
                condition=~Q(state="called") | Q(called_at__isnull=False, window__isnull=False),
                name="ticket_called_has_window",
            ),
        ]
        indexes = [
            models.Index(fields=["hall", "day", "state", "rank", "issued_at"], name="ticket_queue_order"),
            # Only the numbers still waiting, in the calling order: 叫号, the screen's and the
            # kiosk's waiting counts read these rows and none of the day's finished ones.
            models.Index(
                fields=["hall", "day", "rank", "issued_at", "id"],
                condition=Q(state="waiting", checked_in_at__isnull=False),
                name="ticket_waiting_order",
            ),
            # The hall screen's latest calls, without sorting the day.
            models.Index(
                fields=["hall", "day", "-called_at"],
                condition=Q(state__in=["called", "serving"]),
                name="ticket_on_screen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hall} {self.day:%Y-%m-%d} {self.number}"

    @property
    def wait_seconds(self) -> float | None:
        start = self.checked_in_at or self.issued_at
        if self.called_at is None or start is None:
            return None
        return max((self.called_at - start).total_seconds(), 0.0)

    @property
    def service_seconds(self) -> float | None:
        if self.served_at is None or self.finished_at is None:
            return None
        return max((self.finished_at - self.served_at).total_seconds(), 0.0)
