from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhengwu.accounts.roles import ROLE_BY_NAME
from zhengwu.appeals.events import latest_alarm
from zhengwu.calendar.selectors import uncovered_next_year

from .navigation import links_for


def home(request: HttpRequest) -> HttpResponse:
    """Public visitors get the guide search; staff get a card per role with what it can do now."""
    user = request.user
    roles = []
    calendar_gap = None
    if user.is_authenticated:
        roles = [ROLE_BY_NAME[g.name] for g in user.groups.order_by("name") if g.name in ROLE_BY_NAME]
        # Only those who can enter next year's calendar are warned: for everyone else it is noise.
        calendar_gap = uncovered_next_year() if user.has_perm("calendar.add_calendaryear") else None
    context = {"roles": roles, "work_links": links_for(user), "calendar_gap": calendar_gap}
    # The daily history check (appeals/events.py) found a break: those who look after the system
    # must see it where they start.
    if user.is_authenticated and user.has_perm("appeals.view_chaincheckpoint"):
        context["history_alarm"] = latest_alarm()
    return render(request, "web/home.html", context)
