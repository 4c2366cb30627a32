"""Forms of the public pages. They check shape (filled in, not too long, a choice from the list);
the rules themselves — who may be anonymous, what a phone number looks like, what an attachment
may be — are the services' and come back as DomainError, placed on the field they name."""

from __future__ import annotations

from typing import Any

from django import forms

from zhengwu.casework.forms import MultipleFileField, MultipleFileInput, track_form
from zhengwu.core.errors import DomainError

from .attachments import ACCEPT, MAX_FILES, MAX_LABEL, check_files
from .models import AppealType, Satisfaction

HONEYPOT = "website"


def place_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names (or at the top of the form)."""
    fields = {
        "appeal_type": "appeal_type",
        "title": "title",
        "body": "body",
        "contact_name": "contact_name",
        "contact_phone": "contact_phone",
        "address": "address",
        "anonymous": "anonymous",
        "confidential": "confidential",
        "attachments": "attachments",
        "level": "level",
        "comment": "comment",
    }
    field = fields.get(exc.field or "")
    form.add_error(field if field in form.fields else None, exc.message)


class AppealForm(forms.Form):
    appeal_type = forms.ChoiceField(
        label="反映类型",
        choices=AppealType.choices,
        initial=AppealType.CONSULTATION,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择反映类型", "invalid_choice": "反映类型不正确"},
    )
    title = forms.CharField(
        label="标题",
        max_length=100,
        help_text="一句话概括，例如：幸福路路灯不亮",
        error_messages={"required": "请填写标题", "max_length": "标题不能超过100个字"},
    )
    body = forms.CharField(
        label="具体内容",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="请写明时间、地点、经过和您的诉求，不超过5000字；不可见的控制字符会被自动去除",
        error_messages={"required": "请填写具体内容", "max_length": "具体内容不能超过5000个字"},
    )
    address = forms.CharField(
        label="事发地点",
        max_length=200,
        required=False,
        help_text="区、街道、小区或门牌号",
        error_messages={"max_length": "事发地点不能超过200个字"},
    )
    contact_name = forms.CharField(
        label="您的姓名",
        max_length=50,
        required=False,
        error_messages={"max_length": "姓名不能超过50个字"},
    )
    contact_phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        help_text="用于发送答复短信和回访；匿名举报可不填",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"max_length": "联系电话格式不正确"},
    )
    anonymous = forms.BooleanField(
        label="匿名举报",
        required=False,
        help_text="仅“举报”可以匿名。匿名后不记录姓名和电话，您收不到答复短信和回访电话，"
        "请务必记下工单号和查询码，自行查询办理进度和答复。",
    )
    confidential = forms.BooleanField(
        label="为我保密",
        required=False,
        help_text="勾选后，承办部门看不到您的姓名和电话，由12345平台与您联系。",
    )
    attachments = MultipleFileField(
        label="附件（可不传）",
        required=False,
        help_text=f"最多{MAX_FILES}个，每个不超过{MAX_LABEL}；只接受图片（JPG、PNG、GIF、WebP）和PDF文件",
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )
    # Left empty by people (it is hidden from them); bots fill in every field they find.
    website = forms.CharField(
        label="网址",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("title", "body"):
            self.fields[name].widget.attrs.setdefault("required", "required")

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean_attachments(self) -> list[Any]:
        files: list[Any] = self.cleaned_data.get("attachments") or []
        try:
            check_files(files)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        return files


TrackForm = track_form(noun="工单号", example="ZW-20261122-000123", max_length=30)


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label="您对办理结果是否满意",
        choices=Satisfaction.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意程度", "invalid_choice": "请选择满意程度"},
    )
    comment = forms.CharField(
        label="意见和建议（可不填）",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "评价意见不能超过500个字"},
    )
