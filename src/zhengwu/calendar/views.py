"""Staff pages of the working-day calendar: the covered years, one year's month grids, and the
two-step entry of a new year (预览, then 确认保存)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from zhengwu.accounts.models import User
from zhengwu.core.errors import DomainError

from . import selectors, services
from .entry import DayEntry, format_holidays, format_makeup_days, weekend_only_warnings
from .forms import YearEntryForm
from .grids import month_grids
from .models import CalendarYear

PAGE_SIZE = 30


@login_required
@permission_required("calendar.view_calendaryear", raise_exception=True)
def year_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.years_with_counts(), PAGE_SIZE).get_page(request.GET.get("page"))
    next_year = timezone.localdate().year + 1
    return render(
        request,
        "calendar/year_list.html",
        {
            "page_obj": page,
            "next_year": next_year,
            "next_year_missing": not CalendarYear.objects.filter(year=next_year).exists(),
        },
    )


@login_required
@permission_required("calendar.view_calendaryear", raise_exception=True)
def year_detail(request: HttpRequest, year: int) -> HttpResponse:
    calendar_year = get_object_or_404(CalendarYear, year=year)
    holidays, makeup = selectors.special_days(calendar_year)
    return render(
        request,
        "calendar/year_detail.html",
        {
            "calendar_year": calendar_year,
            "months": month_grids(year, holidays, makeup),
            "holiday_ranges": _ranges(holidays),
            "makeup_days": makeup,
        },
    )


@login_required
@permission_required("calendar.add_calendaryear", raise_exception=True)
def year_entry(request: HttpRequest) -> HttpResponse:
    """GET: an empty form, or ``?year=2026`` prefilled with that year for editing. POST: preview
    (nothing saved), ``edit`` (back to the form), or ``confirm`` (save through the service)."""
    if request.method != "POST":
        return _render_form(request, YearEntryForm(initial=_initial(request.GET.get("year", ""))))

    form = YearEntryForm(request.POST)
    if "edit" in request.POST or not form.is_valid():
        return _render_form(request, form)
    data = form.cleaned_data
    version = _version(data["year"], data.get("version") or "")
    if "confirm" not in request.POST:
        return _render_preview(request, form, version)

    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    try:
        calendar_year = services.enter_year(
            year=data["year"],
            holidays=data["holidays"],
            makeup_days=data["makeup_days"],
            notice=data["notice_title"],
            notice_number=data["notice_number"],
            version=version.partition("@")[2],
            by=user,
        )
    except DomainError as exc:
        if not exc.errors:
            form.add_error(None, exc.message)
        for field, field_errors in exc.errors.items():
            for message in field_errors:
                form.add_error(field if field in form.fields else None, message)
        return _render_form(request, form)
    messages.success(
        request,
        f"已保存{calendar_year.year}年工作日历：节假日{len(data['holidays'])}天、调休上班{len(data['makeup_days'])}天",
    )
    return redirect("calendar:year_detail", year=calendar_year.year)


def _render_form(request: HttpRequest, form: YearEntryForm) -> HttpResponse:
    return render(request, "calendar/year_entry.html", {"form": form, "stage": "edit"})


def _render_preview(request: HttpRequest, form: YearEntryForm, version: str) -> HttpResponse:
    data = form.cleaned_data
    year: int = data["year"]
    holidays: list[DayEntry] = data["holidays"]
    makeup: list[DayEntry] = data["makeup_days"]
    existing = selectors.years_with_counts().filter(year=year).first()
    return render(
        request,
        "calendar/year_entry.html",
        {
            "form": form,
            "stage": "preview",
            "year": year,
            "version": version,
            "existing": existing,
            "warnings": weekend_only_warnings(holidays),
            "holiday_ranges": _ranges(holidays),
            "makeup_days": makeup,
            "rest_weekdays": sum(1 for e in holidays if e.day.weekday() < 5),
            "months": month_grids(year, holidays, makeup),
        },
    )


def _initial(raw_year: str) -> dict[str, Any]:
    """Prefill the form with an existing year so it can be corrected in the form it was typed in."""
    if not raw_year.isdigit():
        return {}
    calendar_year = CalendarYear.objects.filter(year=int(raw_year)).first()
    if calendar_year is None:
        return {"year": int(raw_year), "version": f"{raw_year}@"}
    holidays, makeup = selectors.special_days(calendar_year)
    return {
        "year": calendar_year.year,
        "notice_title": calendar_year.notice_title,
        "notice_number": calendar_year.notice_number,
        "holidays": format_holidays(holidays),
        "makeup_days": format_makeup_days(makeup),
        "version": f"{calendar_year.year}@{calendar_year.version}",
    }


def _version(year: int, token: str) -> str:
    """``"2026@<updated_at>"`` — the year's state when the user started from it. A token for another
    year (the user changed the year field) is replaced by the state now, seen in the preview."""
    token_year, _, _ = token.partition("@")
    if token_year == str(year):
        return token
    current = CalendarYear.objects.filter(year=year).first()
    return f"{year}@{current.version if current else ''}"


def _ranges(entries: list[DayEntry]) -> list[dict[str, Any]]:
    """Consecutive days of one holiday as one row, with how many of them are weekdays (the days
    that actually stop the clock)."""
    rows: list[dict[str, Any]] = []
    for entry in sorted(entries, key=lambda e: e.day):
        last = rows[-1] if rows else None
        if last and last["name"] == entry.name and (entry.day - last["end"]).days == 1:
            last["end"] = entry.day
            last["days"] += 1
            last["weekdays"] += entry.day.weekday() < 5
        else:
            rows.append(
                {
                    "name": entry.name,
                    "start": entry.day,
                    "end": entry.day,
                    "days": 1,
                    "weekdays": int(entry.day.weekday() < 5),
                }
            )
    return rows
