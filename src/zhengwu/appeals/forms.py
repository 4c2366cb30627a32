"""Forms of the appeal pages. They check the shape of the input and carry the appeal's version;
the rules (who may do what, in which state, with which values) are the services', whose messages
``show_error`` puts next to the field they name."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from zhengwu.accounts.models import User
from zhengwu.core.errors import DomainError
from zhengwu.org.models import Department

from .models import AppealType, Category, Channel, HandlingMode, Satisfaction, Solved, Urgency
from .workflow import AppealState
from .worklists import SORTS

TEXTAREA = forms.Textarea(attrs={"rows": 3})


def show_error(form: forms.Form, exc: DomainError) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    pairs: list[tuple[str | None, list[str]]] = (
        list(exc.errors.items()) if exc.errors else [(exc.field, [exc.message])]
    )
    for field, messages in pairs:
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("name")


def department_groups(empty: str | None = "请选择单位") -> list[Any]:
    """The active departments as <optgroup>s by the region they serve — the city's own bodies
    first, then each county's — for the searchable picker (static appeals/picker.js filters it)."""
    groups: dict[tuple[int, str, str], list[tuple[int, str]]] = {}
    for d in departments().select_related("region").order_by("region__level", "region__code", "name"):
        key = (d.region.level, d.region.code, f"{d.region.name}（{d.region.get_level_display()}）")
        groups.setdefault(key, []).append((d.pk, d.name))
    choices: list[Any] = [("", empty)] if empty is not None else []
    return choices + [(label, options) for (_, _, label), options in sorted(groups.items())]


PICKER = {"data-picker": "department"}


def group_departments(form: forms.Form, *names: str) -> None:
    """Render these department fields grouped and filterable; validation stays the queryset's."""
    for name in names:
        field = form.fields[name]
        multiple = isinstance(field, forms.ModelMultipleChoiceField)
        field.widget.choices = department_groups(None if multiple else "请选择单位")
        field.widget.attrs.update(PICKER)


class VersionForm(forms.Form):
    """Every state-changing form carries the version the user saw; a stale one is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# ---------------------------------------------------------------------------------------------
# 受理登记
# ---------------------------------------------------------------------------------------------


class IntakeForm(forms.Form):
    """The operator's form, in the order a call goes: what kind, what about, who and where."""

    channel = forms.ChoiceField(
        label="渠道",
        choices=[c for c in Channel.choices if c[0] != Channel.PROACTIVE],  # those come from 热点问题
        initial=Channel.HOTLINE,
    )
    appeal_type = forms.ChoiceField(label="类型", choices=AppealType.choices, initial=AppealType.COMPLAINT)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.ORDINARY)
    contact_phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    title = forms.CharField(label="标题", max_length=100)
    body = forms.CharField(
        label="诉求内容",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="不可见的控制字符会被自动去除",
    )
    address = forms.CharField(label="地点", max_length=200, required=False)
    anonymous = forms.BooleanField(label="匿名（仅举报）", required=False)
    confidential = forms.BooleanField(label="为诉求人保密", required=False)
    answer = forms.CharField(
        label="咨询导办：当场答复",
        max_length=5000,
        required=False,
        widget=TEXTAREA,
        help_text="咨询类诉求可当场答复，登记后即办结；不填则进入研判派单",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("answer", "").strip() and data.get("appeal_type") != AppealType.CONSULTATION:
            self.add_error("answer", "只有咨询类诉求可以当场答复办结")
        return data


# ---------------------------------------------------------------------------------------------
# Actions on the detail page (one form per action; the view passes each to its service)
# ---------------------------------------------------------------------------------------------


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name}（{obj.department.name}）" if obj.department else obj.display_name


def category_choices(prefer: Sequence[str] = ()) -> tuple[list[Any], dict[str, Category]]:
    """Choices of the active second-level categories grouped under their first level, and the
    categories by choice value. The groups named in ``prefer`` come first, in that order, the
    first marked （建议）."""
    categories: dict[str, Category] = {}
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in (
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .order_by("parent__order", "parent__name", "order", "name")
    ):
        categories[str(c.pk)] = c
        groups.setdefault(c.parent.name if c.parent else "", []).append((str(c.pk), c.name))
    rank = {name: i for i, name in enumerate(prefer)}
    ordered = sorted(groups.items(), key=lambda g: rank.get(g[0], len(rank)))
    choices: list[Any] = [("", "请选择分类")]
    choices += [(f"{name}（建议）" if rank.get(name) == 0 else name, options) for name, options in ordered]
    return choices, categories


class TriageForm(VersionForm):
    category = forms.ChoiceField(label="分类")
    handling_mode = forms.ChoiceField(
        label="办理方式", choices=HandlingMode.choices, initial=HandlingMode.DISPATCH
    )
    specialist = StaffChoiceField(
        label="专员（一对一办）",
        queryset=User.objects.filter(is_active=True, is_staff=True).select_related("department"),
        required=False,
    )
    red_list = forms.BooleanField(label="列入纪委督办红名单", required=False)
    # The first-level category the triage suggestion put first: with the choice made, the pair
    # becomes a training example (accepted or corrected).
    suggested = forms.CharField(widget=forms.HiddenInput, required=False, max_length=50)

    def __init__(self, *args: Any, prefer: Sequence[str] = (), **kwargs: Any) -> None:
        """``prefer``: first-level category names to list first (the suggestion's ranking)."""
        super().__init__(*args, **kwargs)
        choices, self._categories = category_choices(prefer)
        cast(forms.ChoiceField, self.fields["category"]).choices = choices

    def clean_category(self) -> Category:
        value = self.cleaned_data["category"]
        if value not in self._categories:
            raise forms.ValidationError("请选择一个二级分类")
        return self._categories[value]


class AnswerForm(VersionForm):
    answer = forms.CharField(label="答复内容", max_length=5000, widget=TEXTAREA)


class MergeForm(VersionForm):
    into = forms.CharField(label="并入工单号", max_length=30)


class DispatchForm(VersionForm):
    lead = forms.ModelChoiceField(label="主办单位", queryset=departments())
    co_handlers = forms.ModelMultipleChoiceField(
        label="协办单位（可多选）",
        queryset=departments(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group_departments(self, "lead", "co_handlers")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lead, co = data.get("lead"), data.get("co_handlers")
        if lead is not None and co is not None:
            data["co_handlers"] = [d for d in co if d.pk != lead.pk]
        return data


class AssignmentForm(VersionForm):
    """An action on one of the appeal's assignments (签收, 催办)."""

    assignment = forms.IntegerField(widget=forms.HiddenInput)


class UrgeForm(AssignmentForm):
    note = forms.CharField(label="催办说明", max_length=500, required=False)


class ReturnForm(AssignmentForm):
    reason = forms.CharField(label="退单理由", max_length=500)


class RedispatchForm(AssignmentForm):
    to = forms.ModelChoiceField(label="改派至", queryset=departments())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group_departments(self, "to")


class AcceptForm(VersionForm):
    """采纳: the triage suggestion's category and lead department, applied in one step."""

    category = forms.ModelChoiceField(
        label="分类",
        queryset=Category.objects.filter(is_active=True, parent__isnull=False),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "建议的分类已停用或不存在，请手工研判"},
    )
    lead = forms.ModelChoiceField(
        label="主办单位",
        queryset=departments(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "建议的主办单位已停用或不存在，请手工派单"},
    )
    suggested = forms.CharField(widget=forms.HiddenInput, required=False, max_length=50)


class RejectReturnForm(AssignmentForm):
    note = forms.CharField(label="驳回理由", max_length=500)


class ExtensionRequestForm(AssignmentForm):
    reason = forms.CharField(label="延期理由", max_length=500)
    until = forms.DateTimeField(
        label="申请延至",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class ContributionForm(AssignmentForm):
    text = forms.CharField(label="协办意见", max_length=5000, widget=TEXTAREA)


class ExtensionDecisionForm(VersionForm):
    extension = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", "同意"), ("refuse", "不同意")])
    note = forms.CharField(label="审核意见", max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("decision") == "refuse" and not (data.get("note") or "").strip():
            self.add_error("note", "不同意延期时请填写审核意见")
        return data


class TextForm(VersionForm):
    text = forms.CharField(label="内容", max_length=5000, widget=TEXTAREA)


class NoteForm(VersionForm):
    text = forms.CharField(label="办理过程", max_length=2000, widget=TEXTAREA)


class ReplyForm(VersionForm):
    text = forms.CharField(label="答复内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class ReasonForm(VersionForm):
    note = forms.CharField(label="说明", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CallbackForm(VersionForm):
    reached = forms.TypedChoiceField(
        label="是否联系上",
        choices=[("1", "联系上"), ("0", "未联系上")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect(attrs={"class": "radios"}),
        initial="1",
    )
    solved = forms.ChoiceField(
        label="是否解决",
        choices=Solved.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "radios"}),
    )
    satisfaction = forms.TypedChoiceField(
        label="满意度",
        choices=Satisfaction.choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "radios"}),
    )
    note = forms.CharField(label="回访记录", max_length=1000, required=False, widget=TEXTAREA)


class SuperviseForm(VersionForm):
    department = forms.ModelChoiceField(label="被督办部门", queryset=departments())
    note = forms.CharField(label="督办意见", max_length=1000, widget=TEXTAREA)
    days = forms.DecimalField(
        label="督办期限（工作日）",
        min_value=Decimal("0.5"),
        max_value=Decimal(60),
        decimal_places=1,
        initial=Decimal(3),
    )
    red_list = forms.BooleanField(label="列入纪委督办红名单", required=False)


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------


def _blank(choices: Any, label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


class AppealFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=100)
    state = forms.ChoiceField(label="状态", choices=_blank(AppealState.choices, "全部状态"), required=False)
    appeal_type = forms.ChoiceField(
        label="类型", choices=_blank(AppealType.choices, "全部类型"), required=False
    )
    urgency = forms.ChoiceField(
        label="紧急程度", choices=_blank(Urgency.choices, "全部紧急程度"), required=False
    )
    channel = forms.ChoiceField(label="渠道", choices=_blank(Channel.choices, "全部渠道"), required=False)
    category = forms.ModelChoiceField(
        label="分类",
        queryset=Category.objects.select_related("parent").order_by("parent_id", "order", "name"),
        required=False,
        empty_label="全部分类",
    )
    department = forms.ModelChoiceField(
        label="承办部门", queryset=Department.objects.order_by("name"), required=False, empty_label="全部部门"
    )
    open = forms.BooleanField(label="在办", required=False)
    overdue = forms.BooleanField(label="超期", required=False)
    red = forms.BooleanField(label="纪委督办", required=False)
    sort = forms.ChoiceField(label="排序", choices=[(k, s.label) for k, s in SORTS.items()], required=False)
    registered_from = forms.DateField(
        label="登记日期从",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "登记日期（起）格式不正确，应为“年-月-日”，例如 2026-06-01"},
    )
    registered_to = forms.DateField(
        label="登记日期至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "登记日期（止）格式不正确，应为“年-月-日”，例如 2026-06-30"},
    )

    # A wrong date range is refused (400) with the reason, never silently ignored: a list or an
    # export that quietly drops the range would count the wrong appeals.
    STRICT = ("registered_from", "registered_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            self.add_error("registered_to", "登记日期（止）不能早于登记日期（起）")
        return data

    def strict_errors(self) -> list[str]:
        """The refused date-range messages; empty when the range is usable."""
        self.is_valid()
        return [str(m) for name in self.STRICT for m in self.errors.get(name, [])]

    def params(self) -> dict[str, Any]:
        """The cleaned filters; an invalid value is dropped rather than failing the page (the date
        range is checked first by ``strict_errors``)."""
        if not self.is_valid():
            return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return dict(self.cleaned_data)


class InboxFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=100)
    role = forms.ChoiceField(
        label="角色", choices=[("", "主办和协办"), ("lead", "主办"), ("co", "协办")], required=False
    )
