"""Applicant pages of 一件事 applications: 在线办理 of a bundle (one merged form, one upload per
material of the bundle's checklist), its receipt with the query code shown once, the bundle
application's own page in 我的办件 (every item's state and light, the public steps, the notices),
its public progress for tracking without an account, and the 实际成效 block of the bundle guide.

What a page says about a step is written here from the event's action and data, as
``public_selectors`` does for single applications; the one exception is the note of a step the
system itself wrote when an item was refused (``item_refused``): it is made of item names only and
is the message that tells the applicant what goes on (bundles._after_result)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.casework.deadlines import Lights
from zhengwu.casework.paging import keyset
from zhengwu.catalog import selectors as catalog
from zhengwu.catalog.models import Bundle, VersionStatus
from zhengwu.core.errors import DomainError
from zhengwu.web.htmx import render_page

from . import bundles, exports, services
from .bundle_selectors import exempt_by_licence, owned_bundles, realised_savings, with_children
from .models import Application, BundleApplication, BundleEvent, BundleState, Channel, Notice
from .public_forms import (
    KEY,
    ApplyForm,
    WithdrawForm,
    _checked,
    _text,
    applicant_choices,
    material_field,
    place_error,
)
from .public_selectors import Step, light_label, light_of, public_state
from .workflow import ApplicationState as S

B = BundleState
SESSION_RECEIPT = "applications_public.bundle_receipt"
NUMBER_START = f"{bundles.NUMBER_PREFIX}-"
STAFF_REFUSED = "工作人员账号不能以申请人身份网上申请。请在综合受理窗口为申请人办理。"
AT_WINDOW = "请携带材料到政务服务中心综合受理窗口申请。"
PAGE_SIZE = 20


def citizen_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and not user.is_staff)


def is_bundle_number(number: str) -> bool:
    return (number or "").strip().upper().startswith(NUMBER_START)


def _refusal(request: HttpRequest, title: str, message: str, status: int, bundle: Bundle) -> HttpResponse:
    return render(
        request,
        "applications/public/bundle_refused.html",
        {"title": title, "message": message, "bundle": bundle},
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# 在线办理 of a bundle
# ---------------------------------------------------------------------------------------------


class BundleApplyForm(forms.Form):
    """一件事在线办理: the applicant, the merged form (each field once), contact, delivery and one
    file field per material of the bundle's checklist that is to be handed in."""

    applicant = ApplyForm.base_fields["applicant"]
    contact_name = ApplyForm.base_fields["contact_name"]
    contact_phone = ApplyForm.base_fields["contact_phone"]
    delivery_method = ApplyForm.base_fields["delivery_method"]
    postal_recipient = ApplyForm.base_fields["postal_recipient"]
    postal_phone = ApplyForm.base_fields["postal_phone"]
    postal_address = ApplyForm.base_fields["postal_address"]
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, bundle: Bundle, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.bundle = bundle
        self.choices = applicant_choices(user)
        applicant = self.fields["applicant"]
        assert isinstance(applicant, forms.ChoiceField)
        applicant.choices = [(value, label) for value, label, _ in self.choices]
        if len(self.choices) == 1:
            applicant.initial = self.choices[0][0]
        self.form_names: list[str] = []
        for spec in catalog.bundle_form_fields(bundle):
            name = f"form_{spec['name']}"
            field = _text(spec.get("label") or spec["name"], 500, required=spec.get("required", True))
            users = spec.get("items") or []
            if len(users) > 1:
                field.help_text = f"用于：{'、'.join(users)}"
            self.fields[name] = field
            self.form_names.append(name)
        self.lines = bundles.checklist(bundle)
        self.uploaded = [line for line in self.lines if line.to_hand_in and line.material_id is not None]
        for line in self.uploaded:
            names = line.material.item_names
            shared = (
                f"{len(names)}个事项共用，只需上传一次" if len(names) > 1 else f"用于：{'、'.join(names)}"
            )
            upload = material_field(line.material.name, required=line.material.required)
            upload.help_text = f"（{shared}）{upload.help_text}"
            self.fields[f"material_{line.material_id}"] = upload

    # -- what the template walks ------------------------------------------------------------------

    def form_part(self) -> Iterable[forms.BoundField]:
        return (self[name] for name in self.form_names)

    def material_part(self) -> Iterable[forms.BoundField]:
        return (self[f"material_{line.material_id}"] for line in self.uploaded)

    def not_handed_in(self) -> list[tuple[str, str]]:
        """(material, why nobody hands it in) for the lines the bundle provides itself."""
        out = []
        for line in self.lines:
            if line.material.is_merged_form:
                out.append((line.material.name, "一表申请，无需另交各事项申请表"))
            elif line.provided_by:
                out.append((line.material.name, f"无需提交：由本一件事“{line.provided_by}”的办理结果提供"))
        return out

    # -- cleaning --------------------------------------------------------------------------------

    def clean_idempotency_key(self) -> str:
        key = str(self.cleaned_data.get("idempotency_key") or "").strip().lower()
        return key if KEY.match(key) else uuid.uuid4().hex

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in self.uploaded:
            name = f"material_{line.material_id}"
            if name in data:
                try:
                    data[name] = _checked(data[name], line.material.name)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def applicant_record(self) -> Any:
        chosen = self.cleaned_data.get("applicant")
        return next((record for value, _, record in self.choices if value == chosen), None)

    def form_data(self) -> dict[str, str]:
        return {name.removeprefix("form_"): self.cleaned_data.get(name, "") for name in self.form_names}

    def uploads(self) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {}
        for line in self.uploaded:
            files = self.cleaned_data.get(f"material_{line.material_id}")
            if files and line.material_id is not None:
                out[line.material_id] = files
        return out


def _published_bundle(bundle_id: int) -> Bundle:
    bundle = Bundle.objects.filter(pk=bundle_id, status=VersionStatus.PUBLISHED).first()
    if bundle is None:
        raise Http404("没有找到该一件事")
    return bundle


def online_refusal(bundle: Bundle) -> str:
    """Why ``bundle`` cannot be applied for online, or "" when it can."""
    if catalog.bundle_definition_errors(bundle):
        return f"“{bundle.name}”一件事暂不能网上申请，{AT_WINDOW}"
    if not bundles.can_apply_online(bundle):
        return f"“{bundle.name}”一件事含只能到窗口办理的事项，暂不支持网上申请，{AT_WINDOW}"
    return ""


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, bundle_id: int) -> HttpResponse:
    """一件事在线办理 by a signed-in applicant, for themselves or an enterprise they act for."""
    bundle = _published_bundle(bundle_id)
    refused = online_refusal(bundle)
    if refused:
        return _refusal(request, "请到窗口办理", refused, 409, bundle)
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not citizen_user(user):
        return _refusal(request, "不能网上申请", STAFF_REFUSED, 403, bundle)
    form = BundleApplyForm(request.POST or None, request.FILES or None, bundle=bundle, user=user)
    if not form.choices:
        return _refusal(
            request,
            "无法网上申请",
            "您的账号没有关联申请人（个人或单位），请重新注册或到窗口办理。",
            409,
            bundle,
        )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                intake = bundles.apply_online(
                    bundle=bundle,
                    by=user,
                    applicant=form.applicant_record(),
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    form_data=form.form_data(),
                    uploads=form.uploads(),
                    delivery_method=data["delivery_method"],
                    postal_recipient=data["postal_recipient"],
                    postal_phone=data["postal_phone"],
                    postal_address=data["postal_address"],
                    idempotency_key=f"web-bundle-{user.pk}-{data['idempotency_key']}",
                )
            except DomainError as exc:
                place_error(form, exc)
                status = exc.status
            else:
                parent = intake.bundle_application
                if intake.query_code is None:  # the same form sent twice: the first one stands
                    messages.info(request, f"该申请已提交，一件事办件编号 {parent.number}")
                    return redirect("applications_public:bundle_detail", number=parent.number)
                request.session[SESSION_RECEIPT] = {"number": parent.number, "code": intake.query_code}
                return redirect("applications_public:bundle_receipt")
        else:
            status = 400
    else:
        own = next((r for _, _, r in form.choices if getattr(r, "user_id", None) == user.pk), None)
        form.initial.setdefault("contact_name", user.display_name)
        form.initial.setdefault("contact_phone", getattr(own, "phone", "") or user.phone)
    items = catalog.bundle_items(bundle)
    return render(
        request,
        "applications/public/bundle_apply.html",
        {
            "bundle": bundle,
            "form": form,
            "items": items,
            "reselect_files": request.method == "POST" and bool(request.FILES),
        },
        status=status,
    )


@never_cache
@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    """The query code, shown once: taken out of the session as the page is drawn."""
    data = request.session.pop(SESSION_RECEIPT, None)
    if not data:
        return redirect("applications_public:mine")
    parent = with_children(owned_bundles(request.user)).filter(number=data["number"]).first()
    return render(
        request,
        "applications/public/bundle_receipt.html",
        {
            "number": data["number"],
            "code": data["code"],
            "children": list(parent.children.all()) if parent is not None else [],
        },
    )


# ---------------------------------------------------------------------------------------------
# What the applicant (and a tracker) sees of a bundle application
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRow:
    application: Application
    state: str
    light: str
    light_label: str
    waiting: bool  # for its 前置事项, its clock not started


def child_state(child: Application) -> str:
    """The item's state as the applicant reads it: a child stopped by the bundle's refusal rule is
    终止, not 撤回 (nobody withdrew it); a decision says which."""
    if child.state == S.WITHDRAWN:
        return "已终止"
    label = public_state(child)
    if child.decision and child.state not in (S.SUBMITTED, S.NOT_ACCEPTED):
        return f"{label}（{child.get_decision_display()}）"
    return label


def child_rows(parent: BundleApplication, lights: Lights) -> list[ChildRow]:
    rows = []
    for child in parent.children.all():
        light = light_of(child, lights)
        waiting = services.waiting(child)
        if waiting:
            label = f"等待前置事项“{child.waits_for.item.name}”" if child.waits_for else "等待前置事项"
        else:
            label = light_label(light)
        rows.append(ChildRow(child, child_state(child), light, label, waiting))
    return rows


def bundle_light(parent: BundleApplication, lights: Lights) -> str:
    return exports.bundle_light(parent, lights)


def _describe(e: BundleEvent, parent: BundleApplication, items: dict[str, str]) -> Step | None:
    department = parent.bundle.lead_department.name
    data = e.data or {}
    match e.action:
        case "submit":
            if data.get("channel") == Channel.WINDOW:
                return Step(e.at, "综合受理窗口已接收申请材料", department)
            return Step(e.at, "一件事网上申请已提交，等待窗口预审")
        case "accept":
            return Step(e.at, "已受理，各事项已分送承办部门并联办理", department)
        case "refuse":
            return Step(e.at, "不予受理，理由见《不予受理通知书》", department)
        case "item_done":
            name = items.get(str(data.get("application", "")), "")
            return Step(e.at, f"“{name}”已办结" if name else "一个事项已办结")
        case "item_refused":
            return Step(e.at, e.note)  # written by the system from item names: what goes on
        case "complete":
            if e.to_state == B.STOPPED:
                return Step(e.at, "各事项均已终止，本一件事办结")
            return Step(e.at, "各事项均已办结，请按约定方式统一出件")
        case "hand_over":
            return Step(e.at, "全部办理结果已在窗口一次领取")
        case "post":
            number = parent.tracking_number
            return Step(
                e.at, f"全部办理结果已一次邮寄，邮件号{number}" if number else "全部办理结果已一次邮寄"
            )
        case "confirm_receipt":
            return Step(e.at, "邮件已签收")
        case "withdraw":
            return Step(e.at, f"申请已撤回：{e.note}")
        case _:
            return None


def bundle_timeline(parent: BundleApplication) -> list[Step]:
    """The bundle application's public steps, each as a plain sentence."""
    items = {c.number: c.item.name for c in parent.children.all()}
    events = (
        parent.events.filter(public=True).order_by("seq").only("at", "action", "data", "note", "to_state")
    )
    return [s for s in (_describe(e, parent, items) for e in events) if s is not None]


def bundle_by_number(number: str) -> BundleApplication | None:
    """The bundle application numbered ``number`` with its children, for tracking."""
    text = (number or "").strip().upper()
    if not text or len(text) > 50:
        return None
    return with_children(BundleApplication.objects.all()).filter(number=text).first()


def _context(parent: BundleApplication) -> dict[str, Any]:
    lights = Lights()
    light = bundle_light(parent, lights)
    return {
        "parent": parent,
        "state_label": parent.get_state_display(),
        "light": light,
        "light_label": light_label(light),
        "children": child_rows(parent, lights),
        "timeline": bundle_timeline(parent),
    }


def progress(request: HttpRequest, parent: BundleApplication, *, is_owner: bool) -> HttpResponse:
    """The public progress of a bundle application (the tracking page, a notice's QR code)."""
    return render(
        request, "applications/public/bundle_status.html", {**_context(parent), "is_owner": is_owner}
    )


def _owned(request: HttpRequest, number: str) -> BundleApplication:
    """The signed-in applicant's own bundle application numbered ``number``; 404 for anything else."""
    notices = Notice.objects.order_by("issued_at", "id")
    children = (
        Application.objects.select_related("item", "department", "waits_for__item")
        .prefetch_related(Prefetch("notices", queryset=notices))
        .order_by("id")
    )
    found = (
        owned_bundles(request.user)
        .select_related("bundle__lead_department")
        .prefetch_related(Prefetch("children", queryset=children))
        .filter(number=(number or "").strip().upper())
        .first()
        if citizen_user(request.user)
        else None
    )
    if found is None:
        raise Http404("没有找到该一件事办件")
    return found


@dataclass(frozen=True)
class BundleRow:
    parent: BundleApplication
    light: str
    light_label: str
    children: list[ChildRow]


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的办件's 一件事 section (loaded into the page by htmx; its own page otherwise): the
    applicant's bundle applications, newest first, each with every item's state and light."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    rows = []
    page = None
    if citizen_user(user):
        page = keyset(
            with_children(owned_bundles(user)),
            field="submitted_at",
            descending=True,
            after=request.GET.get("after"),
            size=PAGE_SIZE,
        )
        lights = Lights()
        for parent in page.rows:
            light = bundle_light(parent, lights)
            rows.append(BundleRow(parent, light, light_label(light), child_rows(parent, lights)))
    return render_page(
        request,
        "applications/public/bundle_mine.html",
        "section",
        {
            "bundle_rows": rows,
            "next_key": page.next_key if page is not None else None,
            "first_page": page.first if page is not None else True,
        },
    )


@never_cache
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """我的办件 → one 一件事办件: every item's state and light, the steps, the notices."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    from zhengwu.ratings.public_views import rating_block

    parent = _owned(request, number)
    form = WithdrawForm(initial={"version": parent.version}) if bundles.withdrawable(parent) else None
    return render(
        request,
        "applications/public/bundle_detail.html",
        {
            **_context(parent),
            "notices": parent.notices.order_by("issued_at", "id"),
            "withdraw_form": form,
            **rating_block(request, parent),
        },
    )


@never_cache
@require_GET
def notice_pdf(request: HttpRequest, number: str, notice_number: str) -> HttpResponse:
    """A notice of the applicant's own bundle application as PDF."""
    if not request.user.is_authenticated:
        raise Http404("没有找到该文书")
    parent = _owned(request, number)
    notice = parent.notices.filter(number=notice_number).first()
    if notice is None:
        raise Http404("没有找到该文书")
    from . import pdf  # drawn on demand; reportlab is loaded only here

    response = pdf.response(notice)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------------------------
# 实际成效 — the realised savings of a bundle, loaded into its guide page
# ---------------------------------------------------------------------------------------------

# What happened, so not the catalogue's words (办理时限 is a promise; this is time taken).
LABELS = {
    "time": "实际用时（工作日）",
    "materials": "提交材料（份）",
    "trips": "跑动次数（次）",
    "steps": "办理环节（个）",
}


class PeriodForm(forms.Form):
    start = forms.DateField(
        label="开始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "开始日期格式不正确，请按“2026-06-01”填写"},
    )
    end = forms.DateField(
        label="结束日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "结束日期格式不正确，请按“2026-06-30”填写"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "结束日期不能早于开始日期")
        return data


def _figure(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1')).normalize():f}"


@require_GET
def realised(request: HttpRequest, bundle_id: int) -> HttpResponse:
    """实际成效: what the completed applications of this bundle took, against the same items
    done one by one, over a period (all time unless one is given). The block when htmx asks,
    the whole page otherwise (the guide page's <noscript> link)."""
    bundle = get_object_or_404(Bundle.objects.select_related("lead_department"), pk=bundle_id)
    if bundle.status != VersionStatus.PUBLISHED:
        raise Http404("没有找到该一件事")
    form = PeriodForm(request.GET or None)
    status = 200
    start: date | None = None
    end: date | None = None
    if form.is_bound:
        if form.is_valid():
            start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
        else:
            status = 400
    savings = realised_savings(bundle, start=start, end=end) if status == 200 else None
    rows = [
        {
            "label": LABELS.get(key, label),
            "items_total": _figure(saving.items_total),
            "bundle": _figure(saving.bundle),
            "saved": _figure(saving.saved),
            "percent": f"{saving.percent}%",
        }
        for key, label, saving in (savings.rows() if savings is not None else ())
    ]
    return render_page(
        request,
        "applications/public/bundle_realised.html",
        "block",
        {
            "bundle": bundle,
            "form": form,
            "rows": rows,
            "count": savings.bundle_count if savings is not None else 0,
            "by_licence": exempt_by_licence(bundle, start=start, end=end) if savings is not None else 0,
            "start": start,
            "end": end,
        },
        status=status,
    )


@require_POST
def withdraw(request: HttpRequest, number: str) -> HttpResponse:
    """撤回 of the applicant's own bundle application, with the reason, after the page asked to confirm."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    parent = _owned(request, number)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            bundles.withdraw(
                bundle_application=parent,
                by=request.user,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data.get("version"),
            )
        except DomainError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
            status = exc.status
        else:
            messages.success(request, "一件事申请已撤回，各事项一并撤回。")
            return redirect("applications_public:bundle_detail", number=parent.number)
    else:
        status = 400
    parent = _owned(request, number)
    context = {
        **_context(parent),
        "notices": parent.notices.order_by("issued_at", "id"),
        "withdraw_form": form,
    }
    return render(request, "applications/public/bundle_detail.html", context, status=status)
