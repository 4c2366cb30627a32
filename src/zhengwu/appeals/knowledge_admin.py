"""Admin for the 知识库. Saving goes through knowledge.save_entry, so the search index is rebuilt
whenever an entry is written here. Registered by admin.py:

    from .knowledge_admin import KnowledgeEntryAdmin
    admin.site.register(KnowledgeEntry, KnowledgeEntryAdmin)
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from zhengwu.core.errors import DomainError

from . import knowledge
from .models import KnowledgeEntry


class KnowledgeEntryForm(ModelForm):
    class Meta:
        model = KnowledgeEntry
        fields = [
            "question",
            "answer",
            "keywords",
            "items",
            "departments",
            "valid_from",
            "valid_until",
            "is_public",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            raise ValidationError({"valid_until": "失效日期不能早于生效日期"})
        return data


class KnowledgeEntryAdmin(admin.ModelAdmin):
    form = KnowledgeEntryForm
    list_display = ["question", "is_public", "valid_from", "valid_until", "updated_at"]
    list_filter = ["is_public"]
    search_fields = ["question", "keywords", "answer"]
    filter_horizontal = ["items", "departments"]
    readonly_fields = ["search_text"]

    def save_model(self, request: HttpRequest, obj: KnowledgeEntry, form: Any, change: bool) -> None:
        try:
            knowledge.save_entry(obj)
        except DomainError as exc:  # the form checked the same rules; this is the last word
            raise ValidationError(exc.message) from exc
