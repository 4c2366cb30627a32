"""Staff pages of the appeals desk: the operator's intake, the dispatcher's queue, a department's
inbox, the callback queue, the 问题清零 board, the list with its Excel export, and the appeal
detail with the actions this user may take now.

Reads start from ``selectors.appeals_visible_to`` (a 404 for anything else); every change goes
through ``services``, whose refusals are shown in Chinese with their HTTP status. The detail's
forms carry the appeal's version, post to ``act`` and, under htmx, get the detail area back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhengwu.accounts.models import User
from zhengwu.core.errors import DomainError, InvalidInput
from zhengwu.core.throttle import address
from zhengwu.org.models import Department
from zhengwu.web.htmx import is_htmx, render_page

from . import exports, privacy, repeats, services, suggestions, worklists
from .events import check_appeal
from .forms import (
    AcceptForm,
    AnswerForm,
    AppealFilterForm,
    AssignmentForm,
    CallbackForm,
    ContributionForm,
    DispatchForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    InboxFilterForm,
    IntakeForm,
    MergeForm,
    NoteForm,
    ReasonForm,
    RedispatchForm,
    RejectReturnForm,
    ReplyForm,
    ReturnForm,
    SuperviseForm,
    TriageForm,
    UrgeForm,
    VersionForm,
    show_error,
)
from .models import Appeal, AppealType, Assignment, Category, Extension
from .selectors import BOARD_READERS, appeals_visible_to, second_levels
from .timeline import staff_timeline
from .workflow import P_DISPATCH, AppealState, AssignmentState
from .worklists import LIGHT_LABELS, Lights, Reporter

P_REGISTER = "appeals.register_appeal"
P_VIEW = "appeals.view_appeal"
P_SUGGEST = "triage.use_triage"


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _visible(user: User) -> QuerySet[Appeal]:
    return appeals_visible_to(user)


def _scope_assignments(qs: QuerySet[Any], user: User, path: str = "appeal") -> QuerySet[Any]:
    """Assignments (or extensions) limited to appeals the user may see."""
    if worklists.sees_all(user):
        return qs
    return qs.filter(**{f"{path}__in": _visible(user).values("pk")})


# ---------------------------------------------------------------------------------------------
# Rows as the tables show them
# ---------------------------------------------------------------------------------------------


@dataclass
class AppealRow:
    appeal: Appeal
    reporter: Reporter
    light: str
    lead: Assignment | None = None
    suggestion: suggestions.Suggestion | None = None

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS[self.light]

    @property
    def solved_label(self) -> str:
        """是否解决 at the latest callback that reached the citizen (``with_callback_result``)."""
        return worklists.callback_labels(self.appeal)[0]

    @property
    def satisfaction_label(self) -> str:
        return worklists.callback_labels(self.appeal)[1]


def _lead_of(appeal: Appeal) -> Assignment | None:
    """The lead assignment a list shows: the current one (``worklists.with_lead``, kept after
    closure) where the list prefetched it, otherwise the open one."""
    leads = getattr(appeal, "leads", None)
    if leads is not None:
        return leads[-1] if leads else None
    return next(iter(getattr(appeal, "open_leads", [])), None)


def _appeal_rows(appeals: list[Appeal], user: User, lights: Lights) -> list[AppealRow]:
    """Lists always mask the phone; the full number is on the detail page for those who call."""
    return [
        AppealRow(
            a,
            Reporter.of(a, user),
            lights.appeal(a),
            _lead_of(a),
        )
        for a in appeals
    ]


@dataclass
class AssignmentRow:
    a: Assignment
    sign_light: str
    handle_light: str
    light: str
    forms: dict[str, djforms.Form] = field(default_factory=dict)
    pending_extension: Extension | None = None

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS[self.light]

    @property
    def running_due(self) -> datetime | None:
        if self.a.state == AssignmentState.PENDING:
            return self.a.sign_due_at
        if self.a.state == AssignmentState.SIGNED:
            return self.a.handle_due_at
        return None


def _assignment_row(a: Assignment, lights: Lights) -> AssignmentRow:
    return AssignmentRow(a, lights.sign(a), lights.handle(a), lights.running(a))


def _page_context(page: worklists.Page[Any]) -> dict[str, Any]:
    return {"next_key": page.next_key, "first_page": page.first}


# ---------------------------------------------------------------------------------------------
# 1. Operator intake
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required(P_REGISTER, raise_exception=True)
def intake(request: HttpRequest) -> HttpResponse:
    """Register an appeal; a consultation may be answered on the spot (咨询导办) in the same step.
    The query code is shown once, in the message after saving."""
    user = _user(request)
    form = IntakeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                with transaction.atomic():  # registered and answered, or neither
                    appeal, code = services.register_appeal(
                        channel=d["channel"],
                        appeal_type=d["appeal_type"],
                        urgency=d["urgency"],
                        title=d["title"],
                        body=d["body"],
                        contact_name=d["contact_name"],
                        contact_phone=d["contact_phone"],
                        address=d["address"],
                        anonymous=d["anonymous"],
                        confidential=d["confidential"],
                        by=user,
                    )
                    answer = d["answer"].strip()
                    if answer:
                        services.answer_directly(
                            appeal=appeal, answer=answer, by=user, version=appeal.version
                        )
            except DomainError as exc:
                show_error(form, exc)
                status = exc.status
            else:
                done = "，已当场答复办结" if answer else ""
                messages.success(request, f"已登记，工单号 {appeal.number}，查询码 {code}{done}")
                return redirect("appeals:detail", pk=appeal.pk)
    phone = worklists.phone_or_blank(str(form["contact_phone"].value() or ""))
    context = {
        "form": form,
        "history": worklists.earlier_appeals_of(_visible(user), phone),
        "phone": phone,
        **_intake_assist_context(user, *(str(form[f].value() or "") for f in ("title", "body", "address"))),
    }
    return render(request, "appeals/intake.html", context, status=status)


@login_required
@permission_required(P_REGISTER, raise_exception=True)
def caller_history(request: HttpRequest) -> HttpResponse:
    """The caller's earlier appeals, looked up while the operator types the phone number."""
    phone = worklists.phone_or_blank(request.GET.get("contact_phone", ""))
    history = worklists.earlier_appeals_of(_visible(_user(request)), phone)
    return render(request, "appeals/intake.html#history", {"history": history, "phone": phone})


def _suggestion(user: User, title: str, body: str) -> tuple[suggestions.SuggestionResult | None, str]:
    """The triage suggestion for a text, or why there is none (empty text is not an error here:
    the operator simply has not typed yet)."""
    if not user.has_perm(P_SUGGEST) or not (title.strip() or body.strip()):
        return None, ""
    try:
        return suggestions.suggest(title=title, body=body), ""
    except DomainError as exc:
        return None, exc.message


@dataclass
class SuggestionRow:
    """One line of the 研判建议 box: the suggested category, the second level proposed with it
    (and why), and the lead department from the 派单目录."""

    s: suggestions.Suggestion
    second: Category | None
    second_reason: str

    @property
    def department(self) -> Department | None:
        if self.s.department is not None:
            return self.s.department
        return self.second.department if self.second is not None else None


def _suggestion_rows(
    suggestion: suggestions.SuggestionResult | None, title: str, body: str
) -> list[SuggestionRow]:
    if suggestion is None or not suggestion.suggestions:
        return []
    seconds = second_levels([s.category for s in suggestion.suggestions], f"{title}\n{body}")
    # The second level the suggestion itself names (with its probability and reasons) wins over
    # the desk's own guess, as long as it is still an active child of that first level.
    named: dict[str, Any] = {}
    for s in suggestion.suggestions:
        if (second := getattr(s, "second", None)) is not None:
            named[s.category] = second
    own = Category.objects.select_related("department", "parent").in_bulk(
        [second.category_id for second in named.values()]
    )
    rows = []
    for s in suggestion.suggestions:
        second = named.get(s.category)
        child = own.get(second.category_id) if second is not None else None
        if (
            second is not None
            and child is not None
            and child.is_active
            and child.parent is not None
            and child.parent.name == s.category
        ):
            rows.append(SuggestionRow(s, child, "、".join(second.reasons) or "与以往派单决定相近"))
        else:
            rows.append(SuggestionRow(s, *seconds.get(s.category, (None, ""))))
    return rows


def _intake_assist_context(user: User, title: str, body: str, address: str) -> dict[str, Any]:
    """研判建议 and 疑似重复诉求 for the text on the intake form (appeals/_assist.html)."""
    suggestion, error = _suggestion(user, title, body)
    return {
        "show_suggestion": user.has_perm(P_SUGGEST),
        "suggestion": suggestion,
        "suggestion_rows": _suggestion_rows(suggestion, title, body),
        "suggestion_error": error,
        "repeats": repeats.possible_repeats(_visible(user), title=title, body=body, address=address),
        "merge_hint": "登记后可在工单页并单",
    }


@login_required
@permission_required(P_REGISTER, raise_exception=True)
def intake_assist(request: HttpRequest) -> HttpResponse:
    """The same, refreshed while the operator types."""
    get = request.GET
    context = _intake_assist_context(
        _user(request), get.get("title", "")[:200], get.get("body", "")[:5000], get.get("address", "")[:200]
    )
    return render(request, "appeals/_assist.html", context)


# ---------------------------------------------------------------------------------------------
# 2. Dispatcher queue
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required("appeals.dispatch_appeal", raise_exception=True)
def dispatch_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    tab = request.GET.get("tab", "registered")
    if tab not in worklists.QUEUE_TABS:
        tab = "registered"
    after = request.GET.get("after")
    lights = Lights()
    counts = worklists.queue_counts()
    context: dict[str, Any] = {
        "tab": tab,
        "tab_list": [(code, label, counts[code]) for code, label in worklists.QUEUE_TABS.items()],
        "counts": counts,
    }
    page: worklists.Page[Any]
    if tab in ("registered", "triaged", "reply_review"):
        page = worklists.keyset(
            _visible(user).filter(state=tab),
            field="created_at" if tab != "reply_review" else "updated_at",
            descending=False,
            after=after,
            size=worklists.PAGE_SIZE,
        )
        context["rows"] = _appeal_rows(page.rows, user, lights)
        if tab == "registered" and user.has_perm(P_SUGGEST):
            # The dispatcher scans the queue with the suggestion beside each appeal.
            firsts = suggestions.first_suggestions([(a.title, a.body) for a in page.rows])
            for row, suggestion in zip(context["rows"], firsts, strict=True):
                row.suggestion = suggestion
            context["show_suggestion"] = True
    elif tab == "returned":
        page = worklists.keyset(
            _scope_assignments(worklists.returned_assignments(), user),
            field="updated_at",
            descending=False,
            after=after,
            size=worklists.PAGE_SIZE,
        )
        context["assignments"] = page.rows
    else:
        page = worklists.keyset(
            _scope_assignments(worklists.pending_extensions(), user, "assignment__appeal"),
            field="created_at",
            descending=False,
            after=after,
            size=worklists.PAGE_SIZE,
        )
        context["extensions"] = page.rows
    context.update(_page_context(page))
    return render(request, "appeals/dispatch_queue.html", context)


# ---------------------------------------------------------------------------------------------
# 3. Department inbox
# ---------------------------------------------------------------------------------------------


def _inbox_query(
    request: HttpRequest, user: User, lights: Lights
) -> tuple[QuerySet[Assignment], str, bool, str]:
    if not user.department_id:
        raise PermissionDenied("您没有所属部门，无法查看部门收件箱")
    tab = request.GET.get("tab", "pending")
    if tab not in worklists.INBOX_TABS:
        tab = "pending"
    filters = InboxFilterForm(request.GET)
    params = filters.cleaned_data if filters.is_valid() else {}
    qs = worklists.inbox_base(user.department_id)
    qs = worklists.inbox_search(qs, params.get("q", ""))
    if params.get("role"):
        qs = qs.filter(role=params["role"])
    qs, key, descending = worklists.inbox_tab(qs, tab, lights)
    return qs, key, descending, tab


@login_required
@permission_required("appeals.handle_appeal", raise_exception=True)
def inbox(request: HttpRequest) -> HttpResponse:
    """A department's assignments: to sign, in hand, near the limit, overdue, finished."""
    user = _user(request)
    lights = Lights()
    qs, key, descending, tab = _inbox_query(request, user, lights)
    page = worklists.keyset(
        qs, field=key, descending=descending, after=request.GET.get("after"), size=worklists.PAGE_SIZE
    )
    counts = worklists.inbox_counts(user.department_id or 0, lights)
    context = {
        "tab": tab,
        "tab_list": [(code, label, counts[code]) for code, label in worklists.INBOX_TABS.items()],
        "counts": counts,
        "rows": [_assignment_row(a, lights) for a in page.rows],
        "filters": InboxFilterForm(request.GET),
        "department": user.department,
        **_page_context(page),
    }
    return render(request, "appeals/inbox.html", context)


@login_required
@permission_required("appeals.handle_appeal", raise_exception=True)
def inbox_export(request: HttpRequest) -> FileResponse:
    user = _user(request)
    lights = Lights()
    qs, key, descending, tab = _inbox_query(request, user, lights)
    data = exports.assignments_workbook(
        qs.order_by(key if not descending else f"-{key}", "id"),
        lights=lights,
        hide_confidential=worklists.department_scoped(user),
    )
    name = f"部门收件箱-{worklists.INBOX_TABS[tab]}-{timezone.localdate():%Y%m%d}.xlsx"
    return exports.response(data, name)


# ---------------------------------------------------------------------------------------------
# 4. Supervisor board (问题清零)
# ---------------------------------------------------------------------------------------------


def may_read_board(user: Any) -> bool:
    """Supervisors work the board; leaders and others who see every department read it (no
    actions are offered on it: those are on the appeal page, for the supervisor)."""
    return any(user.has_perm(p) for p in BOARD_READERS)


def board_context(user: User) -> dict[str, Any]:
    """What the 问题清零 board shows (its page is the statistics part's, analytics:board): the
    totals and departments from the board's roll-up (worklists.board_figures), the red list and
    the long-overdue appeals as rows this user may read."""
    lights = Lights()
    now = lights.now
    totals, departments = worklists.board_figures(now)
    return {
        "totals": totals,
        "departments": departments,
        "red_list": _appeal_rows(worklists.red_list(), user, lights),
        "long_overdue": _appeal_rows(worklists.long_overdue(now), user, lights),
        "long_overdue_days": 5,
    }


def board(request: HttpRequest) -> HttpResponse:
    """The board has moved to the statistics (/stats/board/); old links and bookmarks follow."""
    return redirect("analytics:board", permanent=True)


# ---------------------------------------------------------------------------------------------
# 5. Callback queue
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required("appeals.callback_appeal", raise_exception=True)
def callback_queue(request: HttpRequest) -> HttpResponse:
    """Appeals answered and waiting for a callback, the longest waiting first."""
    user = _user(request)
    qs = _visible(user).filter(state=AppealState.REPLIED)
    page = worklists.keyset(
        qs,
        field="replied_at",
        descending=False,
        nullable=True,
        after=request.GET.get("after"),
        size=worklists.PAGE_SIZE,
    )
    context = {
        "rows": _appeal_rows(page.rows, user, Lights()),
        "count": qs.count(),
        **_page_context(page),
    }
    return render(request, "appeals/callback_queue.html", context)


# ---------------------------------------------------------------------------------------------
# 7. List and export
# ---------------------------------------------------------------------------------------------


def _filtered(
    request: HttpRequest, user: User, now: datetime
) -> tuple[QuerySet[Appeal], AppealFilterForm, dict[str, Any]]:
    form = AppealFilterForm(request.GET)
    params = form.params()
    qs = worklists.filter_appeals(
        _visible(user), params, now=now, hide_confidential_phone=worklists.department_scoped(user)
    )
    return qs, form, params


@login_required
@permission_required(P_VIEW, raise_exception=True)
def appeal_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    lights = Lights()
    qs, form, params = _filtered(request, user, lights.now)
    refused = form.strict_errors()
    if refused:
        qs = qs.none()
    sort = worklists.SORTS.get(params.get("sort") or "new", worklists.SORTS["new"])
    page = sort.page(
        worklists.with_callback_result(worklists.with_lead(qs)),
        after=request.GET.get("after"),
        size=worklists.PAGE_SIZE,
    )
    context = {
        "form": form,
        "rows": _appeal_rows(page.rows, user, lights),
        "department_filter": not worklists.department_scoped(user),
        "refused": refused,
        **_page_context(page),
    }
    return render(request, "appeals/list.html", context, status=400 if refused else 200)


@login_required
@permission_required(P_VIEW, raise_exception=True)
def list_export(request: HttpRequest) -> HttpResponse | FileResponse:
    """The list's filters as .xlsx: masked phones, no reporter of a confidential appeal for a
    department, and only what the user may see. A refused date range answers with the list page
    and its reason (400), not with a workbook of the wrong appeals."""
    user = _user(request)
    lights = Lights()
    qs, form, params = _filtered(request, user, lights.now)
    if form.strict_errors():
        return appeal_list(request)
    sort = worklists.SORTS.get(params.get("sort") or "new", worklists.SORTS["new"])
    data = exports.appeals_workbook(
        sort.order(qs), lights=lights, hide_confidential=worklists.department_scoped(user)
    )
    return exports.response(data, f"诉求清单-{timezone.localdate():%Y%m%d}.xlsx")


# ---------------------------------------------------------------------------------------------
# 6. Detail and actions
# ---------------------------------------------------------------------------------------------

Bound = tuple[str, djforms.Form]


def _category_lead(appeal: Appeal) -> int | None:
    """The lead department the 派单目录 names for the appeal's category (its own, else its first
    level's): the category → department mapping administrators keep."""
    category = appeal.category
    if category is None:
        return None
    return category.department_id or (category.parent.department_id if category.parent else None)


def _suggested_lead(appeal: Appeal, rows: list[SuggestionRow] | None) -> int | None:
    """The dispatch form's preselected lead: the category's department, else that of the
    suggestion for the appeal's first-level category."""
    lead = _category_lead(appeal)
    if lead is not None or not rows or appeal.category is None:
        return lead
    first = appeal.category.parent.name if appeal.category.parent else appeal.category.name
    match = next((r for r in rows if r.s.category == first and r.department is not None), None)
    return match.department.pk if match and match.department else None


class _Offer:
    """The forms of the actions this user may take on this appeal now: the role's permission,
    the transition table, and for a department's actions, its own assignment. The services check
    all of it again; this only keeps the page to what can succeed."""

    def __init__(self, user: User, appeal: Appeal, bound: Bound | None) -> None:
        self.user, self.appeal, self.bound = user, appeal, bound
        self.available = frozenset(services.available_actions(appeal, user))

    def may(self, code: str) -> bool:
        return code in self.available

    def form(
        self, key: str, cls: type[djforms.Form], *, options: dict[str, Any] | None = None, **initial: Any
    ) -> djforms.Form:
        if self.bound is not None and self.bound[0] == key:
            return self.bound[1]
        return cls(
            initial={"version": self.appeal.version, **initial}, auto_id=f"id_{key}_%s", **(options or {})
        )


def _build_forms(
    offer: _Offer,
    user: User,
    appeal: Appeal,
    rows: list[AssignmentRow],
    extensions: list[Extension],
    suggestion: suggestions.SuggestionResult | None = None,
    suggestion_rows: list[SuggestionRow] | None = None,
) -> tuple[dict[str, djforms.Form], dict[int, djforms.Form]]:
    """The page's forms for the actions ``offer`` (worked out once per page) allows."""
    forms: dict[str, djforms.Form] = {}
    top = suggestion_rows[0] if suggestion_rows else None
    if offer.may("triage"):
        ranked = [s.category for s in suggestion.suggestions] if suggestion else []
        forms["triage"] = offer.form(
            "triage",
            TriageForm,
            options={"prefer": ranked},
            category=appeal.category_id or (top.second.pk if top and top.second else ""),
            handling_mode=appeal.handling_mode or "dispatch",
            suggested=ranked[0] if ranked else "",
        )
        # 采纳: category and lead department in one click, for whoever may also dispatch.
        if (
            top is not None
            and top.second is not None
            and top.department is not None
            and user.has_perm(P_DISPATCH)
        ):
            forms["accept"] = offer.form(
                "accept",
                AcceptForm,
                category=top.second.pk,
                lead=top.department.pk,
                suggested=top.s.category,
            )
    if offer.may("answer") and appeal.appeal_type == AppealType.CONSULTATION:  # 咨询导办
        forms["answer"] = offer.form("answer", AnswerForm)
    if offer.may("merge"):
        forms["merge"] = offer.form("merge", MergeForm)
    if offer.may("dispatch"):
        forms["dispatch"] = offer.form(
            "dispatch", DispatchForm, lead=_suggested_lead(appeal, suggestion_rows)
        )
    mine = [r for r in rows if r.a.department_id == user.department_id]
    signed_lead = next(
        (r for r in mine if r.a.role == Assignment.Role.LEAD and r.a.state == AssignmentState.SIGNED), None
    )
    if signed_lead is not None:
        if offer.may("note"):
            forms["note"] = offer.form("note", NoteForm)
        if offer.may("reply"):
            forms["reply"] = offer.form("reply", ReplyForm, text=appeal.reply)
    for code in ("approve_reply", "archive"):
        if offer.may(code):
            forms[code] = offer.form(code, VersionForm)
    if offer.may("rework_reply"):
        forms["rework_reply"] = offer.form("rework_reply", ReasonForm)
    if offer.may("callback"):
        forms["callback"] = offer.form("callback", CallbackForm)
    if offer.may("close"):
        forms["close"] = offer.form("close", ReasonForm)
    if offer.may("supervise"):
        lead_row = next((r for r in rows if r.a.role == Assignment.Role.LEAD and r.a.is_open), None)
        forms["supervise"] = offer.form(
            "supervise", SuperviseForm, department=lead_row.a.department_id if lead_row else None
        )

    for r in rows:
        a, lead = r.a, r.a.role == Assignment.Role.LEAD
        own = a.department_id == user.department_id and user.department_id is not None
        k = f"-{a.pk}"
        if a.state == AssignmentState.PENDING and own:
            if offer.may("sign" if lead else "co_sign"):
                r.forms["sign"] = offer.form("sign" + k, AssignmentForm, assignment=a.pk)
            if offer.may("return" if lead else "co_return"):
                r.forms["return"] = offer.form("return" + k, ReturnForm, assignment=a.pk)
        if a.state == AssignmentState.RETURNED:
            if offer.may("redispatch"):
                r.forms["redispatch"] = offer.form("redispatch" + k, RedispatchForm, assignment=a.pk)
            if offer.may("reject_return"):
                r.forms["reject_return"] = offer.form("reject_return" + k, RejectReturnForm, assignment=a.pk)
        if a.state == AssignmentState.SIGNED and own:
            if offer.may("request_extension") and r.pending_extension is None:
                r.forms["request_extension"] = offer.form(
                    "request_extension" + k, ExtensionRequestForm, assignment=a.pk
                )
            if not lead and offer.may("co_submit"):
                r.forms["co_submit"] = offer.form("co_submit" + k, ContributionForm, assignment=a.pk)
        if a.state in (AssignmentState.PENDING, AssignmentState.SIGNED) and offer.may("urge"):
            r.forms["urge"] = offer.form("urge" + k, UrgeForm, assignment=a.pk)

    decisions: dict[int, djforms.Form] = {}
    if offer.may("decide_extension"):
        for ext in extensions:
            if ext.state == Extension.State.PENDING:
                decisions[ext.pk] = offer.form(
                    f"decide_extension-{ext.pk}", ExtensionDecisionForm, extension=ext.pk
                )
    return forms, decisions


def _detail_context(request: HttpRequest, pk: int, bound: Bound | None = None) -> dict[str, Any]:
    user = _user(request)
    appeal = (
        _visible(user)
        .select_related("registered_by", "specialist", "citizen", "enterprise", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        raise Http404("没有找到该诉求")
    lights = Lights()
    extensions = list(
        Extension.objects.filter(assignment__appeal=appeal)
        .select_related("assignment__department", "requested_by", "decided_by")
        .order_by("created_at", "id")
    )
    rows = [
        _assignment_row(a, lights)
        for a in appeal.assignments.select_related("department", "signed_by").order_by("created_at", "id")
    ]
    for r in rows:
        r.pending_extension = next(
            (e for e in extensions if e.assignment_id == r.a.pk and e.state == Extension.State.PENDING), None
        )
    offer = _Offer(user, appeal, bound)
    may_triage = offer.may("triage")
    # The suggestion also serves the dispatch form when the category names no department.
    wanted = may_triage or (offer.may("dispatch") and _category_lead(appeal) is None)
    suggestion, suggestion_error = _suggestion(user, appeal.title, appeal.body) if wanted else (None, "")
    suggestion_rows = _suggestion_rows(suggestion, appeal.title, appeal.body)
    forms, decisions = _build_forms(offer, user, appeal, rows, extensions, suggestion, suggestion_rows)
    hidden = worklists.hides_reporter(user, appeal)
    events = list(appeal.events.select_related("actor").order_by("seq"))
    broken = check_appeal(appeal)
    possible_repeats: list[Appeal] = []
    text_repeats: list[repeats.Repeat] = []
    if "merge" in forms:
        if appeal.contact_phone:
            possible_repeats = [
                a
                for a in worklists.earlier_appeals_of(_visible(user), appeal.contact_phone, limit=6)
                if a.pk != appeal.pk and a.state != AppealState.MERGED
            ][:5]
        # Merge into the original: only appeals registered before this one are proposed.
        text_repeats = [
            r
            for r in repeats.possible_repeats(
                _visible(user),
                title=appeal.title,
                body=appeal.body,
                address=appeal.address,
                exclude=[appeal.pk],
            )
            if r.appeal.pk < appeal.pk
        ]
    return {
        "appeal": appeal,
        "reporter": Reporter.of(appeal, user),
        "may_reveal_phone": privacy.may_reveal_phone(user, appeal),
        "hidden": hidden,
        "light": lights.appeal(appeal),
        "light_label": LIGHT_LABELS[lights.appeal(appeal)],
        "assignments": rows,
        "extensions": [(e, decisions.get(e.pk)) for e in extensions],
        "callbacks": list(appeal.callbacks.select_related("by")),
        "supervisions": list(appeal.supervisions.select_related("department", "issued_by")),
        "repeats": list(appeal.repeats.only("id", "number", "title", "created_at")),
        "attachments": list(appeal.attachments.all()),
        "timeline": staff_timeline(
            events,
            hide_reporter=hidden,
            departments_by_assignment={r.a.pk: r.a.department.name for r in rows},
        ),
        "chain_broken_at": broken,
        "forms": forms,
        "has_actions": bool(forms or decisions or any(r.forms for r in rows)),
        "possible_repeats": possible_repeats,
        "show_assist": "triage" in forms or "merge" in forms,
        "show_suggestion": "triage" in forms and user.has_perm(P_SUGGEST),
        "suggestion": suggestion,
        "suggestion_rows": suggestion_rows,
        "accept_form": forms.get("accept"),
        "suggestion_error": suggestion_error,
        "repeats_found": text_repeats,
        "merge_form": "merge" in forms,
    }


def _render_detail(
    request: HttpRequest, pk: int, *, bound: Bound | None = None, status: int = 200
) -> HttpResponse:
    return render_page(
        request, "appeals/detail.html", "detail", _detail_context(request, pk, bound), status=status
    )


@login_required
@permission_required(P_VIEW, raise_exception=True)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, pk)


@login_required
@permission_required(P_VIEW, raise_exception=True)
@require_POST
def reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """查看完整号码: the reporter's whole phone number for those privacy allows, each look recorded
    in the audit trail. Under htmx only the number is swapped in; otherwise the page again."""
    user = _user(request)
    appeal = _visible(user).filter(pk=pk).first()
    if appeal is None:
        raise Http404("没有找到该诉求")
    try:
        phone = privacy.reveal_phone(appeal=appeal, by=user, ip=address(request))
    except DomainError as exc:
        if not is_htmx(request):
            raise PermissionDenied(exc.message) from exc
        context = {"appeal": appeal, "reporter": Reporter.of(appeal, user), "reveal_error": exc.message}
        return render(request, "appeals/detail.html#reporter_phone", context, status=exc.status)
    if is_htmx(request):
        context = {"appeal": appeal, "revealed_phone": phone}
        return render(request, "appeals/detail.html#reporter_phone", context)
    return render(request, "appeals/detail.html", {**_detail_context(request, pk), "revealed_phone": phone})


# -- what each action does: read the form, call the service, say what happened --------------


def _assignment(appeal: Appeal, pk: int) -> Assignment:
    found = appeal.assignments.select_related("appeal", "department").filter(pk=pk).first()
    if found is None:
        raise Http404("没有找到该派单")
    return found


Run = Callable[[User, Appeal, dict[str, Any]], str]


def _triage(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.triage(
        appeal=appeal,
        category=d["category"],
        handling_mode=d["handling_mode"],
        specialist=d["specialist"],
        red_list=d["red_list"],
        by=user,
        version=d["version"],
        suggested=d.get("suggested") or None,
    )
    return f"已研判：{d['category']}"


def _accept(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.accept_suggestion(
        appeal=appeal,
        category=d["category"],
        lead=d["lead"],
        by=user,
        version=d["version"],
        suggested=d.get("suggested") or None,
    )
    return f"已采纳建议：{d['category']}，派至{d['lead'].name}主办"


def _answer(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.answer_directly(appeal=appeal, answer=d["answer"], by=user, version=d["version"])
    return "已当场答复并办结"


def _merge(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    number = d["into"].strip().upper()
    into = _visible(user).filter(number=number).first()
    if into is None:
        raise InvalidInput(f"没有找到工单号为 {number} 的诉求", field="into")
    services.merge(appeal=appeal, into=into, by=user, version=d["version"])
    return f"已并入 {into.number}"


def _dispatch(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    co: list[Department] = list(d["co_handlers"] or [])
    services.dispatch(appeal=appeal, lead=d["lead"], co_handlers=co, by=user, version=d["version"])
    return f"已派单：{d['lead'].name}主办" + (f"，{'、'.join(c.name for c in co)}协办" if co else "")


def _sign(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    a = services.sign(assignment=_assignment(appeal, d["assignment"]), by=user, version=d["version"])
    return f"{a.department.name}已签收"


def _return(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.return_assignment(
        assignment=_assignment(appeal, d["assignment"]), reason=d["reason"], by=user, version=d["version"]
    )
    return "已退单，等待派单员审核"


def _redispatch(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.redispatch(
        assignment=_assignment(appeal, d["assignment"]), to=d["to"], by=user, version=d["version"]
    )
    return f"已改派至{d['to'].name}"


def _reject_return(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.reject_return(
        assignment=_assignment(appeal, d["assignment"]), note=d["note"], by=user, version=d["version"]
    )
    return "已驳回退单，原部门须签收"


def _request_extension(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.request_extension(
        assignment=_assignment(appeal, d["assignment"]),
        reason=d["reason"],
        until=d["until"],
        by=user,
        version=d["version"],
    )
    return "已提交延期申请，等待派单员审核"


def _decide_extension(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    extension = (
        Extension.objects.select_related("assignment", "assignment__appeal")
        .filter(pk=d["extension"], assignment__appeal=appeal)
        .first()
    )
    if extension is None:
        raise Http404("没有找到该延期申请")
    approve = d["decision"] == "approve"
    services.decide_extension(
        extension=extension, approve=approve, note=d["note"], by=user, version=d["version"]
    )
    return "已同意延期" if approve else "已不同意延期"


def _co_submit(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.submit_contribution(
        assignment=_assignment(appeal, d["assignment"]), text=d["text"], by=user, version=d["version"]
    )
    return "已提交协办意见"


def _note(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.add_note(appeal=appeal, text=d["text"], by=user, version=d["version"])
    return "已记录办理过程"


def _reply(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.submit_reply(appeal=appeal, text=d["text"], by=user, version=d["version"])
    return "已提交答复，等待审核"


def _approve_reply(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.approve_reply(appeal=appeal, by=user, version=d["version"])
    return "答复已审核通过并发送诉求人"


def _rework_reply(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.rework_reply(appeal=appeal, note=d["note"], by=user, version=d["version"])
    return "已退回主办单位重新答复"


def _callback(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.record_callback(
        appeal=appeal,
        reached=d["reached"],
        solved=d["solved"] if d["reached"] else "",
        satisfaction=d["satisfaction"] if d["reached"] else None,
        note=d["note"],
        by=user,
        version=d["version"],
    )
    state = Appeal.objects.values_list("state", flat=True).get(pk=appeal.pk)
    outcome = {
        AppealState.CLOSED: "，已办结",
        AppealState.IN_PROGRESS: "，已重办",
    }.get(AppealState(state), "")
    return f"已记录回访{outcome}"


def _close(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.close(appeal=appeal, note=d["note"], by=user, version=d["version"])
    return "已办结"


def _archive(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    services.archive(appeal=appeal, by=user, version=d["version"])
    return "已归档"


def _urge(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    assignment = _assignment(appeal, d["assignment"])
    services.urge(
        assignment=assignment,
        threshold=f"manual-{int(time.time())}",
        by=user,
        version=d["version"],
        note=d.get("note") or "",
    )
    return f"已催办{assignment.department.name}"


def _supervise(user: User, appeal: Appeal, d: dict[str, Any]) -> str:
    order = services.supervise(
        appeal=appeal,
        department=d["department"],
        note=d["note"],
        days=d["days"],
        red_list=d["red_list"],
        by=user,
        version=d["version"],
    )
    return f"已向{order.department.name}发出督办单"


ACTS: dict[str, tuple[type[djforms.Form], Run, str | None]] = {
    # code: (form, handler, the POST field naming the row it acts on)
    "triage": (TriageForm, _triage, None),
    "accept": (AcceptForm, _accept, None),
    "answer": (AnswerForm, _answer, None),
    "merge": (MergeForm, _merge, None),
    "dispatch": (DispatchForm, _dispatch, None),
    "sign": (AssignmentForm, _sign, "assignment"),
    "return": (ReturnForm, _return, "assignment"),
    "redispatch": (RedispatchForm, _redispatch, "assignment"),
    "reject_return": (RejectReturnForm, _reject_return, "assignment"),
    "request_extension": (ExtensionRequestForm, _request_extension, "assignment"),
    "decide_extension": (ExtensionDecisionForm, _decide_extension, "extension"),
    "co_submit": (ContributionForm, _co_submit, "assignment"),
    "note": (NoteForm, _note, None),
    "reply": (ReplyForm, _reply, None),
    "approve_reply": (VersionForm, _approve_reply, None),
    "rework_reply": (ReasonForm, _rework_reply, None),
    "callback": (CallbackForm, _callback, None),
    "close": (ReasonForm, _close, None),
    "archive": (VersionForm, _archive, None),
    "urge": (UrgeForm, _urge, "assignment"),
    "supervise": (SuperviseForm, _supervise, None),
}


@login_required
@permission_required(P_VIEW, raise_exception=True)
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action. Success: a message and the detail (the area under htmx, a redirect
    otherwise). Refusal: the detail again with the message next to the form, with the service's
    status (400/403/409/422); nothing was saved."""
    user = _user(request)
    if action not in ACTS:
        raise Http404("没有这个操作")
    appeal = (
        _visible(user).filter(pk=pk).first()
    )  # the chokepoint: an appeal one may not see is a 404, also for actions
    if appeal is None:
        raise Http404("没有找到该诉求")
    form_class, run, row_field = ACTS[action]
    key = f"{action}-{request.POST.get(row_field, '')}" if row_field else action
    form = form_class(request.POST, auto_id=f"id_{key}_%s")
    if form.is_valid():
        try:
            message = run(user, appeal, form.cleaned_data)
        except DomainError as exc:
            show_error(form, exc)
            messages.error(request, exc.message)
            return _render_detail(request, pk, bound=(key, form), status=exc.status)
        messages.success(request, message)
        if is_htmx(request):
            return _render_detail(request, pk)
        return redirect("appeals:detail", pk=pk)
    messages.error(request, "请检查填写的内容")
    return _render_detail(request, pk, bound=(key, form), status=400)
