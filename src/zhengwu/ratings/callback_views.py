"""电话邀评 for callback staff, mounted at /ratings/phone/: the week's random sample (department
filter, search by 办件编号, pagination, Excel), the 邀评 response rate and 主动评价率 of the week,
and one sampled call's form: reached or not, and the level and words the person gave (recorded as
a rating by phone, source 回访员电话记录).

Who: ratings.view_phonesample (the city-wide 回访员 role) sees the list of every department,
ratings.change_phonesample records calls; anyone else gets 403. The phone is masked; holders of
accounts.view_personal_data may reveal it to call."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhengwu.core.errors import DomainError
from zhengwu.core.excel import Column, ExcelWriter, xlsx_response
from zhengwu.core.validators import mask_phone
from zhengwu.org.models import Department

from . import invitations
from .forms import STAR_CHOICES, STAR_LABELS
from .models import STARS_TO_LEVEL, PhoneSample

PAGE_SIZE = 50
P_VIEW = "ratings.view_phonesample"
P_CHANGE = "ratings.change_phonesample"
P_REVEAL = "accounts.view_personal_data"


def _guard(request: HttpRequest, perm: str) -> HttpResponseBase | None:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (user.is_active and user.has_perm(perm)):
        raise PermissionDenied("只有回访员可以处理电话邀评")
    return None


def _scoped(user: Any) -> QuerySet[PhoneSample]:
    return PhoneSample.objects.select_related("department", "rating", "called_by")


def _week(value: str | None) -> date:
    """The Monday asked for (YYYY-MM-DD, any day of its week), else last week's."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return invitations.last_week_monday()
    return day - timedelta(days=day.weekday())


class FilterForm(forms.Form):
    week = forms.DateField(
        label="抽样周", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    department = forms.ModelChoiceField(label="办理部门", queryset=Department.objects.none(), required=False)
    q = forms.CharField(label="办件编号", required=False, max_length=50)
    state = forms.ChoiceField(
        label="回访情况",
        required=False,
        choices=[("", "全部"), ("todo", "未回访"), ("reached", "已联系上"), ("missed", "未联系上")],
    )


class CallForm(forms.Form):
    reached = forms.TypedChoiceField(
        label="是否联系上",
        choices=[("yes", "联系上"), ("no", "未联系上")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择是否联系上"},
    )
    stars = forms.TypedChoiceField(
        label="满意度",
        choices=[("", "—"), *STAR_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "满意度应为1至5星"},
    )
    text = forms.CharField(
        label="评价内容", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(label="备注", required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reached") and not data.get("stars"):
            self.add_error("stars", "联系上的，请记录满意度")
        return data


def _row(sample: PhoneSample, reveal: bool) -> dict[str, Any]:
    rating = sample.rating
    return {
        "sample": sample,
        "phone": mask_phone(sample.phone),
        "full_phone": sample.phone if reveal else "",
        "level": rating.get_level_display() if rating else "",
        "status": "未回访" if sample.called_at is None else ("已联系上" if sample.reached else "未联系上"),
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


COLUMNS = (
    Column("抽样周", 12),
    Column("办件编号", 24, text=True),
    Column("办理部门", 22),
    Column("手机号", 14, text=True),
    Column("回访情况", 10),
    Column("满意度", 10),
    Column("回访时间", 18),
    Column("备注", 30),
)


def _xlsx(qs: QuerySet[PhoneSample]) -> bytes:
    wb = ExcelWriter()
    sheet = wb.sheet("电话邀评", COLUMNS, auto_filter=True)
    for s in qs[:50_000]:
        row = _row(s, False)
        called = timezone.localtime(s.called_at).strftime("%Y-%m-%d %H:%M") if s.called_at else ""
        sheet.append(
            [
                s.week.isoformat(),
                s.matter_number,
                s.department.name,
                row["phone"],
                row["status"],
                row["level"],
                called,
                s.note,
            ]
        )
    return wb.to_bytes()


@never_cache
@require_http_methods(["GET"])
def sample_list(request: HttpRequest) -> HttpResponseBase:
    if (refused := _guard(request, P_VIEW)) is not None:
        return refused
    week = _week(request.GET.get("week"))
    scoped = _scoped(request.user)
    form = FilterForm(request.GET or None, initial={"week": week})
    form.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
        pk__in=scoped.filter(week=week).values("department_id")
    ).order_by("name")
    qs = scoped.filter(week=week)
    if form.is_valid():
        if form.cleaned_data["department"]:
            qs = qs.filter(department=form.cleaned_data["department"])
        if q := form.cleaned_data["q"].strip():
            qs = qs.filter(matter_number__icontains=q)
        state = form.cleaned_data["state"]
        if state == "todo":
            qs = qs.filter(called_at__isnull=True)
        elif state == "reached":
            qs = qs.filter(reached=True)
        elif state == "missed":
            qs = qs.filter(reached=False)
    qs = qs.order_by("department__name", "matter_number", "pk")
    if request.GET.get("format") == "xlsx":
        return xlsx_response(_xlsx(qs), f"电话邀评-{week:%Y%m%d}.xlsx")
    start = datetime.combine(week, time(0), tzinfo=invitations.SHANGHAI)
    rates = invitations.response_rates((start, start + timedelta(days=7)))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    reveal = request.user.has_perm(P_REVEAL)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query["format"] = "xlsx"
    return render(
        request,
        "ratings/phone/list.html",
        {
            "form": form,
            "week": week,
            "week_end": week + timedelta(days=6),
            "previous_week": week - timedelta(days=7),
            "next_week": week + timedelta(days=7),
            "rows": [_row(s, reveal) for s in page],
            "page_obj": page,
            "rates": rates,
            "response_rate": _percent(rates.response_rate),
            "active_rate": _percent(rates.active_rate),
            "export_query": export_query.urlencode(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def call(request: HttpRequest, pk: int) -> HttpResponseBase:
    if (refused := _guard(request, P_VIEW)) is not None:
        return refused
    sample = _scoped(request.user).filter(pk=pk).first()
    if sample is None:
        raise Http404("没有找到该抽样")
    status = 200
    form = CallForm()
    if request.method == "POST":
        if not request.user.has_perm(P_CHANGE):
            raise PermissionDenied("只有回访员可以记录电话邀评")
        form = CallForm(request.POST)
        status = 400
        if form.is_valid():
            stars = form.cleaned_data["stars"]
            try:
                invitations.record_call(
                    sample,
                    by=request.user,
                    reached=form.cleaned_data["reached"],
                    level=int(STARS_TO_LEVEL[stars]) if stars else None,
                    text=form.cleaned_data["text"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"已记录 {sample.matter_number} 的电话回访")
                return redirect(f"/ratings/phone/?week={sample.week.isoformat()}")
    return render(
        request,
        "ratings/phone/call.html",
        {
            "row": _row(sample, request.user.has_perm(P_REVEAL)),
            "sample": sample,
            "form": form,
            "may_record": request.user.has_perm(P_CHANGE) and sample.rating_id is None,
            "star_labels": STAR_LABELS,
        },
        status=status,
    )
