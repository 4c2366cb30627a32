"""消息 — one SMS or e-mail to a citizen, kept so that every notice can be traced and none is sent
twice. Rows are written by services.notify and moved to sent/failed by services.deliver only."""

from __future__ import annotations

from django.db import models

from zhengwu.core.models import TimeStampedModel
from zhengwu.core.validators import mask_phone


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"


class Status(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Message(TimeStampedModel):
    """消息."""

    channel = models.CharField("通道", max_length=10, choices=Channel.choices, default=Channel.SMS)
    recipient_phone = models.CharField("手机号", max_length=20, blank=True)
    recipient_email = models.EmailField("电子邮箱", blank=True)
    body = models.TextField("内容", max_length=2000)
    about_label = models.CharField("关联对象", max_length=100, blank=True, help_text="如 appeals.appeal")
    about_id = models.CharField("关联对象编号", max_length=64, blank=True)
    dedupe_key = models.CharField(
        "去重键",
        max_length=150,
        null=True,
        blank=True,
        unique=True,
        help_text="同一事由只发一次，例如某次答复",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    error = models.TextField("错误信息", blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["about_label", "about_id"], name="message_about"),
            models.Index(fields=["status", "created_at"], name="message_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(channel="sms") & ~models.Q(recipient_phone=""))
                | (models.Q(channel="email") & ~models.Q(recipient_email="")),
                name="message_has_recipient",
                violation_error_message="短信须有手机号，邮件须有邮箱",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_display}"

    @property
    def recipient(self) -> str:
        return self.recipient_phone if self.channel == Channel.SMS else self.recipient_email

    @property
    def recipient_display(self) -> str:
        return mask_phone(self.recipient_phone) if self.channel == Channel.SMS else self.recipient_email
