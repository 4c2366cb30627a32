"""Messages are read here, never written: they are created by services.notify and moved to
sent/failed by the delivery task. The action sends the selected failed ones again."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Message, Status
from .services import enqueue_delivery


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "recipient_display",
        "about_label",
        "about_id",
        "status",
        "attempts",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["=recipient_phone", "recipient_email", "about_id", "body"]
    actions = ["resend"]

    exclude = ["recipient_phone"]
    readonly_fields = ["recipient_display"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        """Messages to citizens belong to the 12345 desk: only those who see every department."""
        qs = super().get_queryset(request)
        user: Any = request.user
        return qs if user.sees_all_departments else qs.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="收件人")
    def recipient_display(self, obj: Message) -> str:
        return obj.recipient_display

    @admin.action(description="重新发送选中的失败消息")
    def resend(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        ids = list(queryset.exclude(status=Status.SENT).values_list("pk", flat=True))
        for pk in ids:
            enqueue_delivery(pk)
        self.message_user(request, f"已重新排队 {len(ids)} 条消息", messages.SUCCESS)
