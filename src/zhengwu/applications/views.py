"""Staff pages of applications (办件), apart from the window's intake screen: the window's, the back
office's and the delivery window's worklists, the list of every application one may see with its
exports, the application page with its timeline and the forms of the actions this user may take
now, and the downloads of its notices and material files.

Reads start from ``selectors.visible_to`` / ``application_for`` (a 404 for anything else); every
change goes through ``services``, whose refusals are shown in Chinese next to the field with their
HTTP status. The page's forms carry the application's version, post to ``act`` and, under htmx,
get the page's area back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhengwu.accounts.models import User
from zhengwu.catalog.models import ServiceItem
from zhengwu.core.errors import DomainError
from zhengwu.core.validators import mask_id_number, mask_phone
from zhengwu.org.models import Department
from zhengwu.web.htmx import is_htmx, render_page

from . import bundle_views, exports, services, worklists
from .forms import (
    ApplicationFilterForm,
    CertifyForm,
    CompleteForm,
    DecideAtWindowForm,
    DecideForm,
    EndSpecialForm,
    ExtensionDecisionForm,
    ExtensionForm,
    ForwardForm,
    HandInForm,
    HandOverForm,
    MaterialMarksForm,
    NoteForm,
    PostForm,
    ReasonForm,
    RefuseForm,
    SpecialForm,
    SupplementForm,
    VersionForm,
    WithdrawForm,
    show_service_error,
)
from .models import Application, BundleState, Delivery, MaterialFile, MaterialStatus, SpecialKind
from .selectors import application_for, sees_all, sees_contact, sees_opinions, visible_to
from .timeline import steps_of
from .workflow import P_ACCEPT, P_DELIVER, P_REVIEW, TABLE
from .worklists import LIGHT_LABELS, Lights

P_VIEW = "applications.view_application"


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


# ---------------------------------------------------------------------------------------------
# Rows as the tables show them
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    a: Application
    light: str
    applicant_code: str  # masked: lists never show an identity number whole

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS[self.light]


def _rows(applications: list[Application], lights: Lights) -> list[Row]:
    return [Row(a, lights.application(a), mask_id_number(a.applicant_code)) for a in applications]


@dataclass(frozen=True)
class Queue:
    """One worklist page: what it is called, who may open it, what it lists, what it shows."""

    title: str
    url_name: str
    permission: str
    build: Callable[[User], worklists.Worklist]
    empty: str
    delivery_columns: bool = False
    deferred_columns: bool = False
    # 一件事办件 listed above the worklist (taken in, or handed over, as a whole): their states
    bundle_states: tuple[str, ...] = ()
    bundle_title: str = ""


def _queue(request: HttpRequest, queue: Queue) -> HttpResponse:
    user = _user(request)
    worklist = queue.build(user)
    tab = worklist.tab(request.GET.get("tab"))
    q = (request.GET.get("q") or "").strip()[:100]
    lights = Lights()
    page = worklist.page(tab, request.GET.get("after"), worklists.search(worklist.base, q))
    counts = worklist.counts()
    context = {
        "title": queue.title,
        "url_name": queue.url_name,
        "tab": tab.code,
        "tab_list": [(t.code, t.label, counts[t.code]) for t in worklist.tabs],
        "q": q,
        "rows": _rows(page.rows, lights),
        "empty": queue.empty,
        "delivery_columns": queue.delivery_columns,
        "deferred_columns": queue.deferred_columns and tab.code == "deferred",
        "next_key": page.next_key,
        "first_page": page.first,
    }
    if queue.bundle_states:
        bundle_qs = worklists.bundle_queue(user, queue.bundle_states)
        context["bundle_title"] = queue.bundle_title
        context["bundle_total"] = bundle_qs.count()
        context["bundle_rows"] = bundle_views.bundle_rows(list(bundle_qs[: worklists.PAGE_SIZE]), lights)
    return render_page(request, "applications/worklist.html", "worklist", context)


def _review_worklist(user: User) -> worklists.Worklist:
    if user.department_id is None and not sees_all(user):
        raise PermissionDenied("您没有所属部门，无法查看后台审批待办")
    return worklists.review_queue(user)


WINDOW = Queue(
    "窗口待办",
    "window_queue",
    P_ACCEPT,
    worklists.window_queue,
    "这一栏没有办件。",
    deferred_columns=True,
    bundle_states=(BundleState.SUBMITTED,),
    bundle_title="一件事办件 待预审",
)
REVIEW = Queue("后台审批", "review_queue", P_REVIEW, _review_worklist, "这一栏没有待审批的办件。")
DELIVERY = Queue(
    "出件",
    "delivery_queue",
    P_DELIVER,
    worklists.delivery_queue,
    "这一栏没有待出件的办件。",
    delivery_columns=True,
    bundle_states=(BundleState.COMPLETED, BundleState.POSTED),
    bundle_title="一件事办件 待出件、已寄出",
)


@login_required
@permission_required(P_ACCEPT, raise_exception=True)
def window_queue(request: HttpRequest) -> HttpResponse:
    """综合受理窗口: 待预审, 退回窗口, 待补正, 容缺待补交 (past the deadline first)."""
    return _queue(request, WINDOW)


@login_required
@permission_required(P_REVIEW, raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    """后台审批: the own department's applications in the back office, nearest limit first."""
    return _queue(request, REVIEW)


@login_required
@permission_required(P_DELIVER, raise_exception=True)
def delivery_queue(request: HttpRequest) -> HttpResponse:
    """出件窗口: results to hand over, to post, and posts to confirm."""
    return _queue(request, DELIVERY)


# ---------------------------------------------------------------------------------------------
# The list and its exports
# ---------------------------------------------------------------------------------------------


def _department_scoped(user: User) -> bool:
    """An approver sees only their own department: the department filter means nothing to them."""
    return not (sees_all(user) or user.has_perm(P_ACCEPT) or user.has_perm(P_DELIVER))


def _filtered(
    request: HttpRequest, user: User, lights: Lights
) -> tuple[QuerySet[Application], ApplicationFilterForm, dict[str, Any]]:
    departments = Department.objects.order_by("name")
    items = ServiceItem.objects.order_by("name", "id")
    if _department_scoped(user):  # an approver picks among their own department's items
        items = items.filter(department_id=user.department_id or 0)
    form = ApplicationFilterForm(request.GET, departments=departments, items=items)
    params = form.params()
    qs = worklists.filter_applications(visible_to(user), params, lights=lights)
    if form.refusals():
        qs = qs.none()
    return qs, form, params


def _sort(params: dict[str, Any]) -> worklists.Sort:
    return worklists.SORTS.get(params.get("sort") or "new", worklists.SORTS["new"])


@login_required
@permission_required(P_VIEW, raise_exception=True)
def application_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    lights = Lights()
    qs, form, params = _filtered(request, user, lights)
    refused = form.refusals()
    sort = _sort(params)
    page = sort.page(
        qs.select_related(*worklists.ROW_RELATED), after=request.GET.get("after"), size=worklists.PAGE_SIZE
    )
    # The tabs count the filtered list by state (the state filter itself aside).
    unstated = worklists.filter_applications(
        visible_to(user), {k: v for k, v in params.items() if k != "state"}, lights=lights
    )
    counts = worklists.state_counts(unstated if not refused else qs, worklists.all_states())
    context = {
        "title": "全部办件",
        "url_name": "list",
        "form": form,
        "state": params.get("state") or "",
        "state_tabs": [(code, label, counts[code]) for code, label in TABLE.states.choices if counts[code]],
        "total": sum(counts.values()),
        "rows": _rows(page.rows, lights),
        "empty": "没有符合条件的办件。",
        "department_filter": not _department_scoped(user),
        "refused": refused,
        "next_key": page.next_key,
        "first_page": page.first,
    }
    return render_page(request, "applications/list.html", "worklist", context, status=400 if refused else 200)


def _ordered(qs: QuerySet[Application], params: dict[str, Any]) -> QuerySet[Application]:
    return _sort(params).order(qs)


@login_required
@permission_required(P_VIEW, raise_exception=True)
def export(request: HttpRequest) -> HttpResponse | FileResponse:
    """The list as filtered, as the GB/T 39046 办件 data set in .xlsx (办件 and 办理环节). A refused
    date range answers with the list page and its reason (400), not a workbook of the wrong ones."""
    user = _user(request)
    lights = Lights()
    qs, form, params = _filtered(request, user, lights)
    if form.refusals():
        return application_list(request)
    data = exports.workbook(_ordered(qs, params), user=user, lights=lights)
    return exports.response(data, f"办件清单-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@permission_required(P_VIEW, raise_exception=True)
def export_json(request: HttpRequest) -> HttpResponse:
    """The same data set as JSON, for the provincial platform."""
    user = _user(request)
    lights = Lights()
    qs, form, params = _filtered(request, user, lights)
    refused = form.refusals()
    if refused:
        return JsonResponse(
            {"detail": "；".join(refused)}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    items = exports.dataset(_ordered(qs, params), user=user, lights=lights)
    return JsonResponse(
        {
            "标准": "GB/T 39046",
            "生成时间": timezone.localtime().isoformat(),
            "数量": len(items),
            "办件": items,
        },
        json_dumps_params={"ensure_ascii": False},
    )


# ---------------------------------------------------------------------------------------------
# The application page
# ---------------------------------------------------------------------------------------------

Bound = tuple[str, djforms.Form]


@dataclass(frozen=True)
class Act:
    """One action of the page: its form, what the form needs, the service call and the words."""

    form: type[djforms.Form]
    run: Callable[[User, Application, djforms.Form], str]
    options: Callable[[Application], dict[str, Any]] = lambda a: {}
    confirm: str = ""  # irreversible: the button asks first


def _d(form: djforms.Form) -> dict[str, Any]:
    return form.cleaned_data


def _materials(a: Application) -> dict[str, Any]:
    return {"materials": list(a.materials.order_by("order", "id"))}


def _deferred(a: Application) -> dict[str, Any]:
    return {"materials": list(a.materials.filter(status=MaterialStatus.DEFERRED).order_by("order", "id"))}


def _accept(user: User, a: Application, form: djforms.Form) -> str:
    assert isinstance(form, MaterialMarksForm)
    d = _d(form)
    services.accept(application=a, by=user, materials=form.inputs(), note=d["note"], version=d["version"])
    return "已受理，受理通知书已出具"


def _refuse(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.refuse(application=a, by=user, reason=d["reason"], remedy=d["remedy"], version=d["version"])
    return "已不予受理，不予受理通知书已出具"


def _supplement(user: User, a: Application, form: djforms.Form) -> str:
    assert isinstance(form, SupplementForm)
    request = services.request_supplement(
        application=a, by=user, items=form.items(), version=_d(form)["version"]
    )
    return f"已一次性告知补正（第{request.round}次），补正材料通知书已出具"


def _supply(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    request = a.supplement_requests.filter(supplied_at__isnull=True).order_by("-round").first()
    named = {i["material_id"] for i in (request.items if request else [])}
    marks = [
        services.MaterialInput(m.item_material_id, MaterialStatus.RECEIVED, originals=1)
        for m in a.materials.filter(pk__in=named)
    ]
    services.supply(application=a, by=user, materials=marks, note=d["note"], version=d["version"])
    return "已收取补正材料"


def _decide_at_window(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.decide_at_window(
        application=a,
        by=user,
        approved=d["approved"],
        opinion=d["opinion"],
        result_number=d["result_number"],
        version=d["version"],
    )
    return "已当场办结" + ("（准予许可）" if d["approved"] else "（不予许可）")


def _hand_in(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    material = services.hand_in(
        application=a,
        by=user,
        material_id=d["material_id"],
        originals=d["originals"] or 0,
        copies=d["copies"] or 0,
        version=d["version"],
    )
    return f"已收取容缺材料“{material.name}”"


def _forward(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.forward(application=a, by=user, note=d["note"], version=d["version"])
    return "已重新提交审查"


def _review(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.review(application=a, by=user, note=d["note"], version=d["version"])
    return "已开始审查"


def _return(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.return_to_window(application=a, by=user, reason=d["reason"], version=d["version"])
    return "已退回窗口"


def _start_special(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.start_special(application=a, by=user, kind=d["kind"], reason=d["reason"], version=d["version"])
    return f"已启动特别程序（{SpecialKind(d['kind']).label}），暂停计时"


def _end_special(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.end_special(application=a, by=user, result=d["result"], version=d["version"])
    return "特别程序已结束，恢复计时"


def _request_extension(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.request_extension(
        application=a, by=user, days=d["days"], reason=d["reason"], version=d["version"]
    )
    return "已申请延长审批，等待本部门另一位审批人员批准"


def _decide_extension(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.decide_extension(
        application=a, by=user, approve=d["approve"], note=d["note"], version=d["version"]
    )
    return "已批准延长审批" if d["approve"] else "已不批准延长审批"


def _decide(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.decide(
        application=a, by=user, approved=d["approved"], opinion=d["opinion"], version=d["version"]
    )
    return "已作出决定：" + ("准予许可" if d["approved"] else "不予许可")


def _complete(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.complete(application=a, by=user, result_number=d["result_number"], version=d["version"])
    return "已办结"


def _certify(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.certify(application=a, by=user, licence_number=d["licence_number"], version=d["version"])
    return "已制证"


def _hand_over(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.hand_over(
        application=a,
        by=user,
        recipient_name=d["recipient_name"],
        recipient_id_number=d["recipient_id_number"],
        by_proxy=d["by_proxy"],
        proxy_authorisation=d["proxy_authorisation"],
        version=d["version"],
    )
    return "已出件，送达回证已出具"


def _post(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    delivery = services.post(
        application=a, by=user, tracking_number=d["tracking_number"], version=d["version"]
    )
    return f"已邮寄，邮件号 {delivery.tracking_number}"


def _confirm_receipt(user: User, a: Application, form: djforms.Form) -> str:
    services.confirm_receipt(application=a, by=user, version=_d(form)["version"])
    return "已确认签收，送达回证已出具"


def _archive(user: User, a: Application, form: djforms.Form) -> str:
    services.archive(application=a, by=user, version=_d(form)["version"])
    return "已归档"


def _withdraw(user: User, a: Application, form: djforms.Form) -> str:
    d = _d(form)
    services.withdraw(application=a, by=user, reason=d["reason"], version=d["version"])
    return "已撤回"


class SupplyForm(VersionForm):
    note = djforms.CharField(
        label="补正说明", max_length=1000, required=False, widget=djforms.Textarea(attrs={"rows": 2})
    )


ACTS: dict[str, Act] = {
    "accept": Act(
        MaterialMarksForm, _accept, _materials, confirm="受理后开始计时并出具受理通知书，确认受理？"
    ),
    "refuse": Act(RefuseForm, _refuse, confirm="不予受理后本申请即终结，并出具不予受理通知书，确认？"),
    "request_supplement": Act(
        SupplementForm,
        _supplement,
        _materials,
        confirm="将出具补正材料通知书（一次性告知），所列材料须一次告知完整，确认？",
    ),
    "supply": Act(SupplyForm, _supply),
    "decide_at_window": Act(
        DecideAtWindowForm, _decide_at_window, confirm="当场决定后即办结，不能更改，确认？"
    ),
    "hand_in": Act(HandInForm, _hand_in, _deferred),
    "forward": Act(ForwardForm, _forward),
    "review": Act(NoteForm, _review),
    "return_to_window": Act(ReasonForm, _return),
    "start_special": Act(SpecialForm, _start_special),
    "end_special": Act(EndSpecialForm, _end_special),
    "request_extension": Act(ExtensionForm, _request_extension),
    "decide_extension": Act(ExtensionDecisionForm, _decide_extension),
    "decide": Act(DecideForm, _decide, confirm="决定作出后将出具决定书，不能更改，确认？"),
    "complete": Act(CompleteForm, _complete, confirm="办结后不能再修改办理结果，确认办结？"),
    "certify": Act(CertifyForm, _certify),
    "hand_over": Act(HandOverForm, _hand_over, confirm="确认已核对领取人身份并出件？出件后不能撤销。"),
    "post": Act(PostForm, _post, confirm="确认已寄出？寄出后不能撤销。"),
    "confirm_receipt": Act(VersionForm, _confirm_receipt),
    "archive": Act(VersionForm, _archive, confirm="归档后不能再修改，确认归档？"),
    "withdraw": Act(WithdrawForm, _withdraw, confirm="撤回后本申请即终结，不能恢复，确认撤回？"),
}


@dataclass
class Offered:
    code: str
    label: str
    form: djforms.Form
    confirm: str
    url: str


def _offered(application: Application, user: User, bound: Bound | None) -> list[Offered]:
    """The forms of the actions ``available_actions`` lets this user take now, in table order."""
    out = []
    for spec in services.available_actions(application, user):
        act = ACTS.get(spec.code)
        if act is None:
            continue
        if bound is not None and bound[0] == spec.code:
            form = bound[1]
        else:
            form = act.form(
                initial={"version": application.version},
                auto_id=f"id_{spec.code}_%s",
                **act.options(application),
            )
        url = reverse("applications:act", args=[application.number, spec.code])
        out.append(Offered(spec.code, spec.label, form, act.confirm, url))
    return out


@dataclass
class Answer:
    label: str
    value: str


def _delivery(a: Application) -> Delivery | None:
    try:
        return a.delivery
    except Delivery.DoesNotExist:
        return None


def _detail_context(request: HttpRequest, number: str, bound: Bound | None = None) -> dict[str, Any]:
    user = _user(request)
    application = application_for(user, number)
    lights = Lights()
    light = lights.application(application)
    opinions = sees_opinions(user, application)
    contact = sees_contact(user, application)
    events = list(application.events.order_by("seq"))
    labels = {f.get("name"): f.get("label") for f in application.item.form_fields or []}
    answers = [Answer(str(labels.get(k) or k), str(v)) for k, v in (application.form_data or {}).items()]
    offered = _offered(application, user, bound)
    return {
        "application": application,
        "light": light,
        "light_label": LIGHT_LABELS[light],
        "applicant_code": mask_id_number(application.applicant_code),
        "contact_phone": application.contact_phone if contact else mask_phone(application.contact_phone),
        "contact": contact,
        "opinions": opinions,
        "answers": answers,
        "materials": list(application.materials.prefetch_related("files").order_by("order", "id")),
        "notices": list(application.notices.order_by("issued_at", "id")),
        "supplements": list(application.supplement_requests.order_by("round")),
        "specials": list(
            application.special_procedures.select_related("started_by", "approved_by").order_by("started_at")
        ),
        "delivery": _delivery(application),
        "steps": steps_of(events, opinions=opinions),
        "chain_broken_at": services.CHAIN.check(application),
        "offered": offered,
        # a child of a 一件事: taken in and handed over with it; maybe waiting for its 前置事项
        "bundle_parent": application.bundle_application,
        "waiting_for": (
            application.waits_for.item.name
            if services.waiting(application) and application.waits_for is not None
            else ""
        ),
    }


def _render_detail(
    request: HttpRequest, number: str, *, bound: Bound | None = None, status: int = 200
) -> HttpResponse:
    context = _detail_context(request, number, bound)
    return render_page(request, "applications/detail.html", "detail", context, status=status)


@login_required
@permission_required(P_VIEW, raise_exception=True)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_detail(request, number)


@login_required
@permission_required(P_VIEW, raise_exception=True)
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Run one action. Success: a message and the page (the area under htmx, a redirect otherwise).
    Refusal: the page again with the message next to the form and the service's status
    (400/403/409/422); nothing was saved."""
    user = _user(request)
    spec = ACTS.get(action)
    if spec is None:
        raise Http404("没有这个操作")
    application = application_for(user, number)  # one may not act on what one may not see
    form = spec.form(request.POST, auto_id=f"id_{action}_%s", **spec.options(application))
    if not form.is_valid():
        messages.error(request, "请检查填写的内容")
        return _render_detail(request, number, bound=(action, form), status=400)
    try:
        message = spec.run(user, application, form)
    except DomainError as exc:
        show_service_error(form, exc)
        messages.error(request, exc.message)
        return _render_detail(request, number, bound=(action, form), status=exc.status)
    messages.success(request, message)
    if is_htmx(request):
        return _render_detail(request, number)
    return redirect("applications:detail", number=number)


# ---------------------------------------------------------------------------------------------
# Downloads: notices (PDF) and material files, only of an application one may see
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required(P_VIEW, raise_exception=True)
def notice(request: HttpRequest, number: str, notice_number: str) -> HttpResponse:
    application = application_for(_user(request), number)
    found = application.notices.filter(number=notice_number).first()
    if found is None:
        raise Http404("没有找到该文书")
    from . import pdf  # drawn on demand; the notice's frozen data says what it prints

    response: HttpResponse = pdf.response(found)
    return response


@login_required
@permission_required(P_VIEW, raise_exception=True)
def material_file(request: HttpRequest, number: str, file_id: int) -> FileResponse:
    application = application_for(_user(request), number)
    found = MaterialFile.objects.filter(pk=file_id, material__application=application).first()
    if found is None:
        raise Http404("没有找到该材料文件")
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("材料文件已不存在") from exc
    response = FileResponse(handle, as_attachment=True, filename=found.name, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
