"""帮办代办 pages at /applications/proxy/: the agent's workbench (open requests, requests waiting
for an agent, applications in progress, history), registering a request, the request page (assign
or take, 委托书, 代为申请 per item, its applications with state and light, 代领, close or cancel),
and the public list of 帮办代办 items at /apply/proxy-service/.

Reads start from ``proxy.visible_requests`` (404 for anything else); every change goes through
``proxy_services`` or ``services``, whose refusals are shown in Chinese next to the field with
their HTTP status."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhengwu.accounts.models import User
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import DomainError, InvalidInput

from . import proxy_services, services
from .forms import show_error
from .models import ApplicantKind, Application, MaterialStatus, ProxyItem, ProxyRequest, ProxyState
from .proxy import P_ACCEPT, P_PROXY, valid_authorisation, visible_requests
from .proxy_forms import (
    AssignForm,
    AuthorisationForm,
    CancelForm,
    CloseForm,
    CollectForm,
    FileForm,
    RequestForm,
)
from .workflow import P_DELIVER
from .worklists import Lights

OPEN = (ProxyState.WAITING, ProxyState.IN_PROGRESS)


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_staff:
        raise PermissionDenied
    if not (user.has_perm(P_PROXY) or user.has_perm(P_ACCEPT) or user.has_perm(P_DELIVER)):
        raise PermissionDenied
    return user


def _request_for(user: User, number: str) -> ProxyRequest:
    found = visible_requests(user).filter(number=number).first()
    if found is None:
        raise Http404("没有找到该帮办代办申请")
    return found


def _rows(apps: Any) -> list[dict[str, Any]]:
    lights = Lights()
    return [{"a": a, "light": lights.application(a)} for a in apps]


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """帮办代办工作台: what is open for this agent (or, for a clerk, for everyone), what waits for
    an agent, the applications in progress, and the history."""
    user = _user(request)
    qs = visible_requests(user).order_by("-created_at", "-id")
    mine = Q(agent=user) if not user.has_perm(P_ACCEPT) else Q()
    tab = request.GET.get("tab", "open")
    tabs = {
        "open": ("办理中", qs.filter(mine, state=ProxyState.IN_PROGRESS)),
        "waiting": ("待分派", qs.filter(state=ProxyState.WAITING)),
        "history": ("已办结/已取消", qs.filter(mine, state__in=(ProxyState.CLOSED, ProxyState.CANCELLED))),
    }
    if tab not in tabs:
        tab = "open"
    in_progress = Application.objects.select_related("item").filter(
        proxy_request__isnull=False, closed_at__isnull=True
    )
    if not user.has_perm(P_ACCEPT):
        in_progress = in_progress.filter(agent=user)
    context = {
        "title": "帮办代办",
        "tab": tab,
        "tab_list": [(code, label, q.count()) for code, (label, q) in tabs.items()],
        "requests": list(tabs[tab][1][:200]),
        "applications": _rows(in_progress.order_by("-submitted_at")[:200]),
        "can_register": user.has_perm(P_PROXY) or user.has_perm(P_ACCEPT),
    }
    return render(request, "applications/proxy/workbench.html", context)


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """登记帮办代办申请: the principal found by number, or registered as at the window."""
    user = _user(request)
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                principal = services.find_applicant(d["principal_code"])
                if principal is None:
                    principal = services.register_applicant(
                        kind=d["principal_kind"],
                        code=d["principal_code"],
                        name=d["principal_name"],
                        phone=d["contact_phone"],
                        legal_representative=d["legal_representative"],
                        by=user,
                    )
                made = proxy_services.register_request(
                    by=user,
                    principal=principal,
                    items=list(d["items"]),
                    group=d["group"],
                    channel=d["channel"],
                    contact_name=d["contact_name"],
                    contact_phone=d["contact_phone"],
                    note=d["note"],
                )
            except DomainError as exc:
                if exc.field in ("code", "id_number", "uscc"):
                    exc = type(exc)(exc.message, field="principal_code")
                elif exc.field == "name":
                    exc = type(exc)(exc.message, field="principal_name")
                show_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已登记帮办代办申请 {made.number}")
                return redirect("applications:proxy_detail", number=made.number)
        else:
            status = 400
    return render(
        request, "applications/proxy/new.html", {"title": "登记帮办代办申请", "form": form}, status=status
    )


def _detail_context(user: User, proxy: ProxyRequest, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    forms: dict[str, Any] = {}
    is_agent = proxy.agent_id == user.pk
    clerk = user.has_perm(P_ACCEPT)
    if proxy.state == ProxyState.WAITING and user.has_perm(P_PROXY):
        forms["take"] = None
    if proxy.state in OPEN and clerk:
        forms["assign"] = AssignForm()
    if proxy.state == ProxyState.IN_PROGRESS and (is_agent or clerk):
        forms["authorise"] = AuthorisationForm(request=proxy)
        forms["close"] = CloseForm()
    if proxy.state in OPEN and (is_agent or clerk or proxy.state == ProxyState.WAITING):
        forms["cancel"] = CancelForm()
    if bound is not None:
        forms[bound[0]] = bound[1]
    items = []
    for item in proxy.items.order_by("name"):
        auth = (
            valid_authorisation(proxy, agent_id=proxy.agent_id, item_id=item.pk) if proxy.agent_id else None
        )
        items.append({"item": item, "authorisation": auth})
    apps = _rows(proxy.applications.select_related("item").order_by("submitted_at", "id"))
    collect = user.has_perm(P_DELIVER)
    for row in apps:
        row["collectable"] = collect and row["a"].state in ("completed", "certified")
    principal = proxy.citizen if proxy.applicant_kind == ApplicantKind.PERSON else proxy.enterprise
    return {
        "title": f"帮办代办 {proxy.number}",
        "proxy": proxy,
        "principal": principal,
        "items": items,
        "applications": apps,
        "authorisations": proxy.authorisations.select_related("agent").prefetch_related("items"),
        "forms": forms,
        "can_file": proxy.state == ProxyState.IN_PROGRESS and is_agent,
        "collect_form": CollectForm(),
    }


@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    proxy = _request_for(user, number)
    return render(request, "applications/proxy/detail.html", _detail_context(user, proxy))


ACTION_FORMS: dict[str, Any] = {
    "assign": AssignForm,
    "authorise": AuthorisationForm,
    "close": CloseForm,
    "cancel": CancelForm,
}


@login_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    user = _user(request)
    proxy = _request_for(user, number)
    if action == "take":
        form: Any = None
    elif action in ACTION_FORMS:
        cls = ACTION_FORMS[action]
        form = cls(request.POST, request.FILES, request=proxy) if action == "authorise" else cls(request.POST)
        if not form.is_valid():
            messages.error(request, "请检查填写的内容")
            return render(
                request,
                "applications/proxy/detail.html",
                _detail_context(user, proxy, (action, form)),
                status=400,
            )
    else:
        raise Http404("没有这个操作")
    try:
        if action == "take":
            proxy_services.take(request=proxy, by=user)
            message = "已认领"
        elif action == "assign":
            proxy_services.assign(request=proxy, agent=form.cleaned_data["agent"], by=user)
            message = "已分派"
        elif action == "authorise":
            d = form.cleaned_data
            proxy_services.record_authorisation(
                request=proxy,
                by=user,
                items=list(d["items"]),
                valid_from=d["valid_from"],
                valid_until=d["valid_until"],
                scan=d["file"],
            )
            message = "已登记委托书"
        elif action == "close":
            proxy_services.close(request=proxy, by=user, outcome=form.cleaned_data["outcome"])
            message = "帮办代办已办结"
        else:
            proxy_services.cancel(request=proxy, by=user, reason=form.cleaned_data["reason"])
            message = "帮办代办已取消"
    except DomainError as exc:
        if form is not None:
            show_error(form, exc)
        messages.error(request, exc.message)
        proxy.refresh_from_db()
        bound = (action, form) if form is not None else None
        return render(
            request, "applications/proxy/detail.html", _detail_context(user, proxy, bound), status=exc.status
        )
    messages.success(request, message)
    return redirect("applications:proxy_detail", number=number)


@login_required
def file(request: HttpRequest, number: str, item_id: int) -> HttpResponse:
    """代为申请 one item of the request: its form and the materials the agent brings; refused with
    the reason when no 委托书 covers the item today."""
    user = _user(request)
    proxy = _request_for(user, number)
    item = proxy.items.filter(pk=item_id).first()
    if item is None:
        raise Http404("该事项不在本次帮办代办中")
    form = FileForm(request.POST or None, item=item)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            principal = proxy.citizen if proxy.applicant_kind == ApplicantKind.PERSON else proxy.enterprise
            assert principal is not None  # the table's check constraint: one principal
            try:
                intake = services.window_intake(
                    item=item,
                    by=user,
                    applicant=principal,
                    contact_name=proxy.contact_name,
                    contact_phone=proxy.contact_phone,
                    form_data=form.form_data(),
                    materials=[
                        services.MaterialInput(use_id, MaterialStatus.RECEIVED, originals=1)
                        for use_id in form.received()
                    ],
                    outcome="submit",
                    proxy_request=proxy,
                )
            except DomainError as exc:
                if isinstance(exc, InvalidInput) and exc.field and exc.field.startswith("form_data."):
                    exc = type(exc)(exc.message, field="form_" + exc.field.split(".", 1)[1])
                show_error(form, exc)
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    f"已代为提交“{item.name}”，办件编号 {intake.application.number}，待综合受理窗口预审受理",
                )
                return redirect("applications:proxy_detail", number=number)
        else:
            status = 400
    context = {"title": f"代为申请：{item.name}", "proxy": proxy, "item": item, "form": form}
    return render(request, "applications/proxy/file.html", context, status=status)


@login_required
@require_POST
def collect(request: HttpRequest, number: str, application_number: str) -> HttpResponse:
    """代领 at the 出件窗口: the result handed to the agent against the 委托书 on file."""
    user = _user(request)
    proxy = _request_for(user, number)
    application = proxy.applications.filter(number=application_number).select_related("item").first()
    if application is None:
        raise Http404("没有找到该办件")
    form = CollectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写代办人公民身份号码")
        return render(request, "applications/proxy/detail.html", _detail_context(user, proxy), status=400)
    try:
        proxy_services.collect(
            application=application, by=user, recipient_id_number=form.cleaned_data["recipient_id_number"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        context = _detail_context(user, proxy)
        return render(request, "applications/proxy/detail.html", context, status=exc.status)
    messages.success(request, f"办件 {application.number} 已由代办人凭委托书领取")
    return redirect("applications:proxy_detail", number=number)


@login_required
def authorisation_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    user = _user(request)
    proxy = _request_for(user, number)
    row = proxy.authorisations.filter(pk=pk).first()
    if row is None:
        raise Http404("没有找到该委托书")
    return FileResponse(
        row.file.open("rb"), as_attachment=True, filename=row.file_name, content_type=row.content_type
    )


def public_list(request: HttpRequest) -> HttpResponse:
    """帮办代办事项清单 (public): the high-frequency items the centre handles for people."""
    rows = ProxyItem.objects.select_related("item", "item__department").order_by("order", "id")
    return render(
        request,
        "applications/proxy/public_list.html",
        {"title": "帮办代办事项清单", "rows": rows, "item_model": ServiceItem},
    )
