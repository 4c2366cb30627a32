"""Staff pages of 一件事办件 (bundle applications): the list with its Excel export, the bundle
application page (applicant, merged form, the checklist as marked once, every child with its
department, state and light, the history, the notices, and the actions this user may take now),
and the window's 综合受理 of a whole bundle.

Reads start from ``bundle_selectors.visible_bundles`` / ``bundle_application_for`` (404 for anything
else); every change goes through ``bundles`` (受理, 不予受理, 出件 once, 邮寄, 签收), whose refusals are
shown next to the field with their status. The children's own steps stay on their own pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.accounts.models import Citizen, Enterprise, User
from zhengwu.casework.paging import keyset
from zhengwu.catalog import selectors as catalog
from zhengwu.catalog.models import Bundle, ItemMaterial, VersionStatus
from zhengwu.core.errors import DomainError
from zhengwu.core.validators import mask_id_number, mask_phone
from zhengwu.web.htmx import is_htmx, render_page

from . import bundles, exports, services
from .bundle_selectors import bundle_application_for, visible_bundles
from .forms import HandOverForm, MaterialRow, PostForm, RefuseForm, VersionForm, show_error
from .intake_forms import PREFILL, applicant_code, applicant_kind, contact_of, new_idempotency_key
from .models import (
    Application,
    ApplicationMaterial,
    BundleApplication,
    BundleEvent,
    BundleState,
    DeliveryMethod,
    MaterialStatus,
)
from .selectors import sees_all, visible_to
from .workflow import P_ACCEPT, P_DELIVER
from .worklists import LIGHT_LABELS, PAGE_SIZE, Lights

B = BundleState
P_VIEW = "applications.view_application"
NUMBER = re.compile(r"^YJ-\d{8}-\d{6}$", re.IGNORECASE)
SESSION_RECEIPT = "applications.bundle_intake_receipt"
TEXTAREA = forms.Textarea(attrs={"rows": 2})

EVENT_LABELS = bundles.STEP_LABELS


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def light_of(parent: BundleApplication, lights: Lights) -> str:
    return exports.bundle_light(parent, lights)


# ---------------------------------------------------------------------------------------------
# The list and its export
# ---------------------------------------------------------------------------------------------


class BundleFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="搜索")
    state = forms.ChoiceField(required=False, choices=[("", "全部状态"), *B.choices], label="状态")
    bundle = forms.ModelChoiceField(
        queryset=Bundle.objects.order_by("name"), required=False, empty_label="全部一件事", label="一件事"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("state", "bundle"):
            self.fields[name].widget.attrs["aria-label"] = str(self.fields[name].label)

    def params(self) -> dict[str, Any]:
        """The valid filters; a bad one (an unknown state or bundle) is dropped."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {}) or {}
        return {k: v for k, v in data.items() if k not in self.errors}


def search(qs: QuerySet[BundleApplication], q: str) -> QuerySet[BundleApplication]:
    """A 一件事办件编号 matches exactly; anything else the number, the applicant or the bundle's name."""
    q = (q or "").strip()
    if not q:
        return qs
    if NUMBER.match(q):
        return qs.filter(number=q.upper())
    return qs.filter(Q(number__icontains=q) | Q(applicant_name__icontains=q) | Q(bundle__name__icontains=q))


def _filtered(
    request: HttpRequest, user: User
) -> tuple[QuerySet[BundleApplication], QuerySet[BundleApplication], BundleFilterForm, dict[str, Any]]:
    """(the list as filtered, the same without the state filter, the form, its values)."""
    form = BundleFilterForm(request.GET)
    params = form.params()
    qs = search(visible_bundles(user), params.get("q") or "")
    if params.get("bundle") is not None:
        qs = qs.filter(bundle=params["bundle"])
    unstated = qs
    if params.get("state"):
        qs = qs.filter(state=params["state"])
    return qs, unstated, form, params


@dataclass
class BundleRow:
    b: BundleApplication
    light: str
    applicant_code: str

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS[self.light]


def bundle_rows(parents: Sequence[BundleApplication], lights: Lights) -> list[BundleRow]:
    return [BundleRow(p, light_of(p, lights), mask_id_number(p.applicant_code)) for p in parents]


def listed(qs: QuerySet[BundleApplication]) -> QuerySet[BundleApplication]:
    """The columns a row reads, in one query per page."""
    return qs.select_related("bundle__lead_department").annotate(n_children=Count("children"))


@login_required
@permission_required(P_VIEW, raise_exception=True)
def bundle_list(request: HttpRequest) -> HttpResponse:
    """一件事办件: every one the user may see, searchable and filtered by state and bundle."""
    user = _user(request)
    qs, unstated, form, params = _filtered(request, user)
    page = keyset(
        listed(qs), field="submitted_at", descending=True, after=request.GET.get("after"), size=PAGE_SIZE
    )
    agg = unstated.order_by().aggregate(**{code: Count("id", filter=Q(state=code)) for code in B.values})
    counts = {code: int(agg[code] or 0) for code in B.values}
    context = {
        "title": "一件事办件",
        "form": form,
        "state": params.get("state") or "",
        "state_tabs": [(code, label, counts[code]) for code, label in B.choices if counts[code]],
        "total": sum(counts.values()),
        "rows": bundle_rows(page.rows, Lights()),
        "empty": "没有符合条件的一件事办件。",
        "next_key": page.next_key,
        "first_page": page.first,
    }
    return render_page(request, "applications/bundle_list.html", "bundles", context)


@login_required
@permission_required(P_VIEW, raise_exception=True)
def bundle_export(request: HttpRequest) -> FileResponse:
    """The list as filtered, as .xlsx: sheets 一件事办件 and 子办件."""
    user = _user(request)
    qs, _, _, _ = _filtered(request, user)
    data = exports.bundle_workbook(qs.order_by("-submitted_at", "-id"), user=user, lights=Lights())
    return exports.response(data, f"一件事办件清单-{timezone.localdate():%Y%m%d}.xlsx")


# ---------------------------------------------------------------------------------------------
# The checklist, marked once for the whole bundle (受理 of an online one, and the intake screen)
# ---------------------------------------------------------------------------------------------

MARK_LABELS = {
    MaterialStatus.RECEIVED: "已收",
    MaterialStatus.DEFERRED: "容缺",
    MaterialStatus.NOT_APPLICABLE: "不适用",
}


class BundleMarksForm(forms.Form):
    """The clerk marks each line of the bundle's checklist that the applicant hands in, once for
    every item that asks for it: 已收 (originals, copies), 容缺 (never a 关键材料: the signed
    commitment and a hand-in deadline) or 不适用 (only a material no item requires). Fields are
    ``materials.<catalog Material id>``; ``uploaded`` are the lines already handed in online."""

    radios = True  # the intake screen's cards; a table row takes a drop-down

    def __init__(
        self,
        *args: Any,
        lines: Sequence[bundles.Line] = (),
        uploaded: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.to_hand_in and line.material_id is not None]
        self.uploaded = uploaded
        for line in self.lines:
            m = line.material
            key = self.key(line)
            offered = [(s, label) for s, label in MARK_LABELS.items() if self._allowed(line, s)]
            initial = MaterialStatus.RECEIVED if (m.required or key in self._uploaded_keys) else ""
            status = forms.ChoiceField(
                label=m.name,
                choices=[("", "未收"), *MARK_LABELS.items()],
                initial=initial or MaterialStatus.NOT_APPLICABLE,
                required=False,
                widget=forms.RadioSelect if self.radios else forms.Select,
            )
            # Only the marks this line may take are offered; another one posted is refused in
            # ``clean`` with the reason (a 关键材料 is never 容缺), not as an unknown choice.
            status.widget.choices = offered if m.required else [("", "未收"), *offered]
            self.fields[key] = status
            online = line.material_id in uploaded
            self.fields[f"{key}.originals"] = forms.IntegerField(
                label="原件", min_value=0, max_value=99, required=False, initial=0 if online else m.originals
            )
            self.fields[f"{key}.copies"] = forms.IntegerField(
                label="复印件", min_value=0, max_value=99, required=False, initial=0 if online else m.copies
            )
            self.fields[f"{key}.commitment"] = forms.CharField(
                label="容缺承诺（申请人已签字）", max_length=500, required=False
            )
            self.fields[f"{key}.defer_days"] = forms.IntegerField(
                label="补交期限（工作日）", min_value=1, max_value=services.MAX_DEFER_DAYS, required=False
            )

    @property
    def _uploaded_keys(self) -> set[str]:
        return {f"materials.{mid}" for mid in self.uploaded}

    @staticmethod
    def key(line: bundles.Line) -> str:
        return f"materials.{line.material_id}"

    @staticmethod
    def _allowed(line: bundles.Line, status: str) -> bool:
        if status == MaterialStatus.DEFERRED:
            return not line.material.critical
        if status == MaterialStatus.NOT_APPLICABLE:
            return not line.material.required
        return True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in self.lines:
            key, name = self.key(line), line.material.name
            status = data.get(key) or ""
            if not status:
                if line.material.required:
                    self.add_error(key, f"“{name}”未收取：请标为已收或容缺")
                continue
            if status == MaterialStatus.DEFERRED and line.material.critical:
                self.add_error(key, f"“{name}”是关键材料，不能容缺受理")
                continue
            if status == MaterialStatus.NOT_APPLICABLE and line.material.required:
                self.add_error(key, f"“{name}”是必要材料，不能标为不适用")
                continue
            if status == MaterialStatus.DEFERRED:
                if not (data.get(f"{key}.commitment") or "").strip():
                    self.add_error(f"{key}.commitment", f"“{name}”容缺受理须有申请人签字的书面承诺")
                if not data.get(f"{key}.defer_days"):
                    self.add_error(f"{key}.defer_days", f"请填写“{name}”的补交期限")
        return data

    def rows(self) -> list[MaterialRow]:
        out = []
        for line in self.lines:
            key = self.key(line)
            out.append(
                MaterialRow(
                    material=line,
                    name=line.material.name,
                    critical=line.material.critical,
                    required=line.material.required,
                    uploaded=line.material_id in self.uploaded,
                    status=self[key],
                    originals=self[f"{key}.originals"],
                    copies=self[f"{key}.copies"],
                    commitment=self[f"{key}.commitment"],
                    defer_days=self[f"{key}.defer_days"],
                )
            )
        return out

    def inputs(self) -> list[bundles.BundleMaterialInput]:
        """The marks as ``bundles`` takes them. A line uploaded online and marked 已收 with no
        paper counted is left as it is; an optional line left 未收 is 不适用."""
        d = self.cleaned_data
        out = []
        for line in self.lines:
            key = self.key(line)
            status = str(d.get(key) or "")
            originals, copies = d.get(f"{key}.originals") or 0, d.get(f"{key}.copies") or 0
            if not status:
                continue
            if (
                status == MaterialStatus.RECEIVED
                and line.material_id in self.uploaded
                and originals + copies == 0
            ):
                continue
            assert line.material_id is not None
            out.append(
                bundles.BundleMaterialInput(
                    material_id=line.material_id,
                    status=status,
                    originals=originals if status == MaterialStatus.RECEIVED else 0,
                    copies=copies if status == MaterialStatus.RECEIVED else 0,
                    commitment=(d.get(f"{key}.commitment") or "")
                    if status == MaterialStatus.DEFERRED
                    else "",
                    defer_days=d.get(f"{key}.defer_days") if status == MaterialStatus.DEFERRED else None,
                )
            )
        return out

    def place(self, exc: DomainError) -> bool:
        """A refusal naming a child's checklist row (``materials.<ItemMaterial id>``) goes on this
        line (by the row's catalog material); False when it names none of them."""
        head, _, rest = (exc.field or "").partition(".")
        if head != "materials" or not rest.isdigit():
            return False
        material_id = ItemMaterial.objects.filter(pk=int(rest)).values_list("material_id", flat=True).first()
        key = f"materials.{material_id}"
        if material_id is None or key not in self.fields:
            return False
        self.add_error(key, exc.message)
        return True


class BundleAcceptForm(VersionForm, BundleMarksForm):
    """预审 of an online bundle application: the checklist confirmed, and the 受理意见."""

    radios = False

    note = forms.CharField(label="受理意见", max_length=1000, required=False, widget=TEXTAREA)


def _uploaded(parent: BundleApplication) -> frozenset[int]:
    """The catalog materials already handed in online for this bundle application."""
    return frozenset(
        ApplicationMaterial.objects.filter(
            application__bundle_application=parent, status=MaterialStatus.RECEIVED, files__isnull=False
        ).values_list("item_material__material_id", flat=True)
    )


# ---------------------------------------------------------------------------------------------
# The bundle application page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BAct:
    """One action of the bundle page: its words, form, who and when, the service call."""

    label: str
    form: type[forms.Form]
    permission: str
    states: tuple[str, ...]
    run: Callable[[User, BundleApplication, forms.Form], str]
    confirm: str = ""
    when: Callable[[BundleApplication], bool] = lambda p: True


def _d(form: forms.Form) -> dict[str, Any]:
    return form.cleaned_data


def _accept(user: User, p: BundleApplication, form: forms.Form) -> str:
    assert isinstance(form, BundleAcceptForm)
    d = _d(form)
    bundles.accept(
        bundle_application=p, by=user, materials=form.inputs(), note=d["note"], version=d["version"]
    )
    return "已受理，各事项已分送各部门办理，受理通知书已出具"


def _refuse(user: User, p: BundleApplication, form: forms.Form) -> str:
    d = _d(form)
    bundles.refuse(
        bundle_application=p, by=user, reason=d["reason"], remedy=d["remedy"], version=d["version"]
    )
    return "已不予受理，不予受理通知书已出具"


def _hand_over(user: User, p: BundleApplication, form: forms.Form) -> str:
    d = _d(form)
    bundles.hand_over(
        bundle_application=p,
        by=user,
        recipient_name=d["recipient_name"],
        recipient_id_number=d["recipient_id_number"],
        by_proxy=d["by_proxy"],
        proxy_authorisation=d["proxy_authorisation"],
        version=d["version"],
    )
    return "已一次出件，全部办理结果已交付，送达回证已出具"


def _post(user: User, p: BundleApplication, form: forms.Form) -> str:
    d = _d(form)
    done = bundles.post(
        bundle_application=p, by=user, tracking_number=d["tracking_number"], version=d["version"]
    )
    return f"已邮寄全部办理结果，邮件号 {done.tracking_number}"


def _confirm_receipt(user: User, p: BundleApplication, form: forms.Form) -> str:
    bundles.confirm_receipt(bundle_application=p, by=user, version=_d(form)["version"])
    return "已确认签收，送达回证已出具"


ACTS: dict[str, BAct] = {
    "accept": BAct(
        "受理",
        BundleAcceptForm,
        P_ACCEPT,
        (B.SUBMITTED,),
        _accept,
        confirm="受理后各事项分送各部门办理并开始计时，出具一份受理通知书，确认受理？",
    ),
    "refuse": BAct(
        "不予受理",
        RefuseForm,
        P_ACCEPT,
        (B.SUBMITTED,),
        _refuse,
        confirm="不予受理后本一件事申请即终结，并出具不予受理通知书，确认？",
    ),
    "hand_over": BAct(
        "窗口出件",
        HandOverForm,
        P_DELIVER,
        (B.COMPLETED,),
        _hand_over,
        confirm="确认已核对领取人身份，并一次交付全部办理结果？出件后不能撤销。",
    ),
    "post": BAct(
        "邮寄出件",
        PostForm,
        P_DELIVER,
        (B.COMPLETED,),
        _post,
        confirm="确认已将全部办理结果一并寄出？寄出后不能撤销。",
        when=lambda p: bool(p.postal_address),
    ),
    "confirm_receipt": BAct("确认签收", VersionForm, P_DELIVER, (B.POSTED,), _confirm_receipt),
}

Bound = tuple[str, forms.Form]


def _form_kwargs(code: str, parent: BundleApplication) -> dict[str, Any]:
    if code == "accept":
        return {"lines": bundles.checklist(parent.bundle), "uploaded": _uploaded(parent)}
    return {}


@dataclass
class Offered:
    code: str
    label: str
    form: forms.Form
    confirm: str
    url: str


def _offered(parent: BundleApplication, user: User, bound: Bound | None) -> list[Offered]:
    """The actions this user may take on the bundle application now, in order."""
    out = []
    for code, act in ACTS.items():
        if parent.state not in act.states or not user.has_perm(act.permission) or not act.when(parent):
            continue
        if bound is not None and bound[0] == code:
            form = bound[1]
        else:
            form = act.form(
                initial={"version": parent.version}, auto_id=f"id_{code}_%s", **_form_kwargs(code, parent)
            )
        url = reverse("applications:bundle_act", args=[parent.number, code])
        out.append(Offered(code, act.label, form, act.confirm, url))
    return out


@dataclass
class ChildRow:
    a: Application
    light: str
    visible: bool  # the user may open the child's own page
    waiting_for: str  # the 前置事项 it still waits for, "" when it does not

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS[self.light]


@dataclass
class FileLink:
    name: str
    url: str


@dataclass
class MarkedLine:
    """A line of the checklist as marked, once for the whole bundle."""

    name: str
    critical: bool
    required: bool
    item_names: list[str]
    status: str
    note: str = ""
    originals: int = 0
    copies: int = 0
    deferred: str = ""
    files: list[FileLink] = field(default_factory=list)


STATUS_RANK = [
    MaterialStatus.RECEIVED,
    MaterialStatus.DEFERRED,
    MaterialStatus.EXEMPT,
    MaterialStatus.NOT_APPLICABLE,
    MaterialStatus.PENDING,
]


def _marked(parent: BundleApplication, visible: set[int], numbers: Mapping[int, str]) -> list[MarkedLine]:
    rows = list(
        ApplicationMaterial.objects.filter(application__bundle_application=parent)
        .select_related("item_material")
        .prefetch_related("files")
        .order_by("application_id", "order", "id")
    )
    by_material: dict[int, list[ApplicationMaterial]] = {}
    for row in rows:
        by_material.setdefault(row.item_material.material_id, []).append(row)
    out = []
    for line in bundles.checklist(parent.bundle):
        m = line.material
        if m.is_merged_form:
            out.append(
                MarkedLine(
                    m.name, m.critical, m.required, m.item_names, "一表申请", note="各事项的申请表由本表代替"
                )
            )
            continue
        if line.provided_by:
            out.append(
                MarkedLine(
                    m.name,
                    m.critical,
                    m.required,
                    m.item_names,
                    "免提交",
                    note=f"由本一件事“{line.provided_by}”的办理结果提供",
                )
            )
            continue
        found = by_material.get(m.material_id or 0, [])
        if not found:
            continue
        best = min(found, key=lambda r: STATUS_RANK.index(MaterialStatus(r.status)))
        marked = MarkedLine(
            m.name,
            m.critical,
            m.required,
            m.item_names,
            best.get_status_display(),
            originals=max(r.originals for r in found),
            copies=max(r.copies for r in found),
        )
        deferred = [r for r in found if r.status == MaterialStatus.DEFERRED and r.deferred_until]
        if deferred:
            first = min(deferred, key=lambda r: r.deferred_until or timezone.localdate())
            marked.deferred = f"{first.deferred_until:%Y-%m-%d}前补交；承诺：{first.commitment}"
        handed = [r for r in found if r.handed_in_at]
        if handed and not deferred:
            marked.deferred = f"{timezone.localtime(handed[0].handed_in_at):%Y-%m-%d %H:%M} 已补交"
        seen: set[str] = set()
        for r in found:  # a file several children share is stored once; list it once
            if r.application_id not in visible:
                continue
            for f in r.files.all():
                if f.file.name in seen:
                    continue
                seen.add(f.file.name)
                url = reverse("applications:file", args=[numbers[r.application_id], f.pk])
                marked.files.append(FileLink(f.name, url))
        out.append(marked)
    return out


@dataclass
class Answer:
    label: str
    value: str
    items: str


@dataclass
class HistoryStep:
    event: BundleEvent
    action: str
    state: str


def _state_label(code: str) -> str:
    try:
        return str(B(code).label)
    except ValueError:
        return ""


def _sees_contact(user: User) -> bool:
    return bool(user.has_perm(P_ACCEPT) or user.has_perm(P_DELIVER) or sees_all(user))


def _detail_context(request: HttpRequest, number: str, bound: Bound | None = None) -> dict[str, Any]:
    user = _user(request)
    parent = bundle_application_for(user, number)
    lights = Lights()
    kids = list(parent.children.all())
    visible = set(visible_to(user).filter(pk__in=[c.pk for c in kids]).values_list("pk", flat=True))
    numbers = {c.pk: c.number for c in kids}
    children = [
        ChildRow(
            c,
            lights.application(c),
            c.pk in visible,
            c.waits_for.item.name if services.waiting(c) and c.waits_for is not None else "",
        )
        for c in kids
    ]
    fields = catalog.bundle_form_fields(parent.bundle)
    known = {f["name"] for f in fields}
    answers = [
        Answer(
            str(f.get("label") or f["name"]),
            str((parent.form_data or {}).get(f["name"], "")),
            "、".join(f["items"]),
        )
        for f in fields
    ]
    answers += [Answer(k, str(v), "") for k, v in (parent.form_data or {}).items() if k not in known]
    events = list(parent.events.order_by("seq"))
    contact = _sees_contact(user)
    return {
        "parent": parent,
        "light": light_of(parent, lights),
        "applicant_code": mask_id_number(parent.applicant_code),
        "contact_phone": parent.contact_phone if contact else mask_phone(parent.contact_phone),
        "contact": contact,
        "answers": answers,
        "lines": _marked(parent, visible, numbers),
        "children": children,
        "history": [
            HistoryStep(e, EVENT_LABELS.get(e.action, e.action), _state_label(e.to_state)) for e in events
        ],
        "notices": list(parent.notices.order_by("issued_at", "id")),
        "chain_broken_at": bundles.CHAIN.check(parent),
        "offered": _offered(parent, user, bound),
    }


def _render_detail(
    request: HttpRequest, number: str, *, bound: Bound | None = None, status: int = 200
) -> HttpResponse:
    context = _detail_context(request, number, bound)
    return render_page(request, "applications/bundle_detail.html", "detail", context, status=status)


@login_required
@permission_required(P_VIEW, raise_exception=True)
def bundle_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_detail(request, number)


@login_required
@permission_required(P_VIEW, raise_exception=True)
@require_POST
def bundle_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Run one action on the whole bundle application. Refused: the page again with the message
    next to the form and the service's status (400/403/409/422), nothing saved."""
    user = _user(request)
    spec = ACTS.get(action)
    if spec is None:
        raise Http404("没有这个操作")
    parent = bundle_application_for(user, number)
    form = spec.form(request.POST, auto_id=f"id_{action}_%s", **_form_kwargs(action, parent))
    if not form.is_valid():
        messages.error(request, "请检查填写的内容")
        return _render_detail(request, number, bound=(action, form), status=400)
    try:
        message = spec.run(user, parent, form)
    except DomainError as exc:
        if not (isinstance(form, BundleMarksForm) and form.place(exc)):
            show_error(form, exc)
        messages.error(request, exc.message)
        return _render_detail(request, number, bound=(action, form), status=exc.status)
    messages.success(request, message)
    if is_htmx(request):
        return _render_detail(request, number)
    return redirect("applications:bundle_detail", number=number)


@login_required
@permission_required(P_VIEW, raise_exception=True)
def bundle_notice(request: HttpRequest, number: str, notice_number: str) -> HttpResponse:
    parent = bundle_application_for(_user(request), number)
    found = parent.notices.filter(number=notice_number).first()
    if found is None:
        raise Http404("没有找到该文书")
    from . import pdf  # drawn on demand from the notice's frozen data

    response: HttpResponse = pdf.response(found)
    return response


# ---------------------------------------------------------------------------------------------
# 综合受理 of a whole bundle at the window
# ---------------------------------------------------------------------------------------------


class BundleIntakeForm(forms.Form):
    """The applicant (by number, looked up again on submit), the merged form (fields
    ``form_<name>``, each once), the contact, how the results are delivered, and 受理 or 不予受理."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=18)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    contact_name = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    delivery_method = forms.ChoiceField(
        label="结果送达方式",
        choices=DeliveryMethod.choices,
        initial=DeliveryMethod.PICKUP,
        widget=forms.RadioSelect,
    )
    postal_recipient = forms.CharField(
        label="收件人", max_length=50, required=False, help_text="不填则为联系人"
    )
    postal_phone = forms.CharField(
        label="收件人电话",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text="不填则为联系电话",
    )
    postal_address = forms.CharField(label="邮寄地址", max_length=200, required=False)
    outcome = forms.ChoiceField(
        choices=[("accept", "受理"), ("refuse", "不予受理")], widget=forms.HiddenInput, required=False
    )
    reason = forms.CharField(label="不予受理理由", max_length=1000, required=False, widget=TEXTAREA)

    RENAME = {"applicant": "code", "bundle": None}

    def __init__(
        self,
        *args: Any,
        fields: Sequence[Mapping[str, Any]],
        initial_form: Mapping[str, str] = {},
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.item_fields: list[str] = []
        self.items_of: dict[str, str] = {}
        for f in fields:
            name = f"form_{f['name']}"
            self.fields[name] = forms.CharField(
                label=f.get("label") or f["name"],
                max_length=500,
                required=False,
                initial=initial_form.get(f["name"], ""),
            )
            self.item_fields.append(name)
            self.items_of[name] = "、".join(f.get("items") or [])

    @property
    def item_form(self) -> list[tuple[forms.BoundField, str]]:
        return [(self[name], self.items_of[name]) for name in self.item_fields]

    def form_data(self) -> dict[str, str]:
        return {name.removeprefix("form_"): self.cleaned_data.get(name, "") for name in self.item_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("outcome"):
            self.add_error("outcome", "请选择受理或不予受理")
        if data.get("outcome") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "请填写不予受理理由")
        if (
            data.get("delivery_method") == DeliveryMethod.POST
            and not (data.get("postal_address") or "").strip()
        ):
            self.add_error("postal_address", "邮寄送达请填写邮寄地址")
        return data

    def place(self, exc: DomainError) -> None:
        field_name = exc.field or ""
        if field_name.startswith("form_data."):
            field_name = "form_" + field_name.removeprefix("form_data.")
        field_name = self.RENAME.get(field_name, field_name) or ""
        self.add_error(field_name if field_name in self.fields else None, exc.message)


def published_bundles() -> QuerySet[Bundle]:
    return Bundle.objects.filter(status=VersionStatus.PUBLISHED)


def search_bundles(q: str) -> list[Bundle]:
    """Published bundles whose name (or an item's name) has the words, with their item count."""
    q = (q or "").strip()
    if not q:
        return []
    qs = published_bundles().filter(Q(name__icontains=q) | Q(items__name__icontains=q)).distinct()
    ids = list(qs.values_list("pk", flat=True)[:10])
    return list(
        Bundle.objects.filter(pk__in=ids)
        .annotate(n_items=Count("bundle_items", distinct=True))
        .order_by("name")
    )


def _prefill(fields: Sequence[Mapping[str, Any]], applicant: Citizen | Enterprise) -> dict[str, str]:
    mapping = PREFILL[applicant_kind(applicant)]
    out = {}
    for f in fields:
        attribute = mapping.get(f["name"])
        value = str(getattr(applicant, attribute, "") or "") if attribute else ""
        if value:
            out[f["name"]] = value
    return out


def bundle_intake_url(bundle: Bundle, code: str = "") -> str:
    url = reverse("applications:intake_bundle", args=[bundle.pk])
    return url + (f"?{urlencode({'code': code})}" if code else "")


def _checklist(
    lines: Sequence[bundles.Line], marks: BundleMarksForm | None
) -> list[tuple[bundles.Line, MaterialRow | None]]:
    """Every line of the bundle's checklist with the row the clerk marks (None: nothing to hand in)."""
    rows = {r.material.material_id: r for r in marks.rows()} if marks is not None else {}
    return [(line, rows.get(line.material_id)) for line in lines]


def intake_page(
    request: HttpRequest,
    bundle: Bundle,
    lookup: Any,
    *,
    form: BundleIntakeForm | None = None,
    marks: BundleMarksForm | None = None,
    register: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    lines = bundles.checklist(bundle)
    fields = catalog.bundle_form_fields(bundle)
    applicant = lookup.applicant
    if applicant is not None and form is None:
        form = BundleIntakeForm(
            fields=fields,
            initial={
                "code": applicant_code(applicant),
                "idempotency_key": new_idempotency_key(),
                **contact_of(applicant),
            },
            initial_form=_prefill(fields, applicant),
        )
        marks = BundleMarksForm(lines=lines)
    context = {
        **lookup.context(register),
        "bundle": bundle,
        "items": catalog.bundle_items(bundle),
        "problems": catalog.bundle_definition_errors(bundle),
        "form": form,
        "marks": marks,
        "checklist": _checklist(lines, marks),
        "continue_url": bundle_intake_url(bundle, lookup.code),
        "change_applicant_url": bundle_intake_url(bundle),
        "partial": False,
    }
    return render(request, "applications/intake_bundle.html", context, status=status)


@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def bundle_intake(request: HttpRequest, bundle_id: int) -> HttpResponse:
    """综合受理 of a bundle: the applicant, the merged form, the checklist marked once, 受理 (one
    受理通知书, every item to its department) or 不予受理 — all through ``bundles.window_intake``."""
    from .intake_views import Lookup

    bundle = get_object_or_404(published_bundles(), pk=bundle_id)
    if request.method != "POST":
        lookup = Lookup(request.GET.get("code", ""))
        return intake_page(request, bundle, lookup, status=400 if lookup.error else 200)
    lookup = Lookup(request.POST.get("code", ""))
    if lookup.applicant is None:
        messages.error(request, lookup.error or "请先查找或登记申请人")
        return intake_page(request, bundle, lookup, status=400)
    lines = bundles.checklist(bundle)
    form = BundleIntakeForm(request.POST, fields=catalog.bundle_form_fields(bundle))
    marks = BundleMarksForm(request.POST, lines=lines)
    valid = form.is_valid()
    accepting = form.cleaned_data.get("outcome") == "accept"
    if accepting:
        valid = marks.is_valid() and valid
    if not valid:
        messages.error(request, "请检查标出的内容")
        return intake_page(request, bundle, lookup, form=form, marks=marks, status=400)
    d = form.cleaned_data
    try:
        result = bundles.window_intake(
            bundle=bundle,
            by=request.user,
            applicant=lookup.applicant,
            contact_name=d["contact_name"],
            contact_phone=d["contact_phone"],
            form_data=form.form_data(),
            materials=marks.inputs() if accepting else [],
            outcome=d["outcome"],
            delivery_method=d["delivery_method"],
            postal_recipient=d["postal_recipient"],
            postal_phone=d["postal_phone"],
            postal_address=d["postal_address"],
            reason=d["reason"],
            idempotency_key=d["idempotency_key"],
        )
    except DomainError as exc:
        if not marks.place(exc):
            form.place(exc)
        messages.error(request, exc.message)
        return intake_page(request, bundle, lookup, form=form, marks=marks, status=exc.status)
    number = result.bundle_application.number
    if result.query_code is not None:
        request.session[SESSION_RECEIPT] = {"number": number, "code": result.query_code}
    return redirect("applications:intake_bundle_done", number=number)


@never_cache
@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_GET
def bundle_intake_done(request: HttpRequest, number: str) -> HttpResponse:
    """The receipt: the 一件事办件编号, the query code (once), every child and the notices."""
    parent = bundle_application_for(request.user, number)
    receipt = request.session.get(SESSION_RECEIPT)
    code = None
    if receipt and receipt.get("number") == parent.number:
        code = receipt.get("code")
        del request.session[SESSION_RECEIPT]
    lights = Lights()
    context = {
        "parent": parent,
        "query_code": code,
        "children": [
            ChildRow(
                c,
                lights.application(c),
                True,
                c.waits_for.item.name if services.waiting(c) and c.waits_for is not None else "",
            )
            for c in parent.children.all()
        ],
        "notices": list(parent.notices.order_by("issued_at", "id")),
        "applicant_masked_code": mask_id_number(parent.applicant_code),
        "new_intake_url": reverse("applications:intake"),
    }
    return render(request, "applications/intake_bundle_done.html", context)
