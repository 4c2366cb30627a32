"""问题清零 board, among the statistics: open appeals, overdue and 纪委督办 per department, the red
list and the long-overdue appeals. The figures come from the appeals part's exact roll-up
(appeals/board.py, read through appeals.worklists.board_figures): the same numbers its drill-down
lists count.

Who: supervisors (who act on it from the appeal pages), leaders and whoever holds
``analytics.view_statistics`` and sees every department; the board is city-wide, so a
department's own statistics readers are sent to their dashboard instead (403 here)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhengwu.appeals.views import board_context, may_read_board

from .scope import may_view


def may_read(user: Any) -> bool:
    return may_read_board(user) or (may_view(user) and bool(user.sees_all_departments))


@login_required
def board(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not may_read(user):
        message = "问题清零看板是全市的看板，只向督办员、领导和能查看全部部门统计的人员开放"
        return render(request, "analytics/board_error.html", {"message": message, "status": 403}, status=403)
    return render(request, "analytics/board.html", board_context(user))
