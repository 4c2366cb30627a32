"""The window's 综合受理 screen (无差别受理): any item of any department, at one window.

1. the applicant, looked up by 公民身份号码 or 统一社会信用代码 (htmx, or a plain GET with ``?code=``)
   or registered on the spot;
2. the item (published, any department), then its own form, filled from the applicant where a
   field maps (intake_forms.PREFILL), the contact and how the result is delivered;
3. the material checklist of the item version in force, each material marked;
4. the outcome: 受理, 一次性告知补正 or 不予受理, all through ``services.window_intake``.

The receipt shows the 办件编号 and the query code, once: the code is stored only hashed, so it
travels to the receipt in the session and is dropped there. A 即办件 whose department authorised
this clerk (首席代表授权) can be decided on the receipt page at once."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from zhengwu.accounts.models import Citizen, Enterprise
from zhengwu.catalog.models import Bundle, ServiceItem
from zhengwu.catalog.selectors import published_items, search_items
from zhengwu.core.errors import DomainError
from zhengwu.core.validators import validate_uscc
from zhengwu.org.models import Department
from zhengwu.web.htmx import is_htmx

from . import bundle_views, services
from .intake_forms import (
    OUTCOMES,
    Checklist,
    DecideForm,
    IntakeForm,
    RegisterForm,
    applicant_code,
    check_supplement,
    contact_of,
    guess_kind,
    masked_code,
    new_idempotency_key,
    place_error,
    prefill,
)
from .models import Application
from .selectors import application_for
from .workflow import P_ACCEPT

SESSION_RECEIPT = "applications.intake_receipt"
MAX_ITEMS = 30  # items listed at once; more: narrow the search


def _url(name: str, *args: Any) -> str:
    """A page another part builds: its link, or "" while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _intake_url(code: str = "", item: ServiceItem | None = None) -> str:
    query = {k: v for k, v in (("code", code), ("item", item.pk if item else "")) if v}
    return reverse("applications:intake") + (f"?{urlencode(query)}" if query else "")


# ---------------------------------------------------------------------------------------------
# Reading what the page is at
# ---------------------------------------------------------------------------------------------


class Lookup:
    """The applicant for a typed number: found, not on file (offer to register), or a refusal
    naming what is wrong with the number."""

    def __init__(self, code: str) -> None:
        self.code = (code or "").strip().upper()[:18]
        self.applicant: Citizen | Enterprise | None = None
        self.error = ""
        if self.code:
            try:
                self.applicant = services.find_applicant(self.code)
            except DomainError as exc:
                self.error = exc.message
                # find_applicant takes 17 leading digits for a 公民身份号码; a USCC whose
                # organisation code is all digits looks the same, so try it as one too.
                if _is_uscc(self.code):
                    self.error = ""
                    self.applicant = Enterprise.objects.filter(uscc=self.code).first()

    @property
    def not_found(self) -> bool:
        return bool(self.code) and not self.error and self.applicant is None

    def context(self, register: RegisterForm | None = None) -> dict[str, Any]:
        a = self.applicant
        if register is None and self.not_found:
            register = RegisterForm(initial={"code": self.code, "kind": guess_kind(self.code)})
        return {
            "lookup_code": self.code,
            "lookup_error": self.error,
            "applicant": a,
            "applicant_kind_label": _kind_label(a),
            "applicant_masked_code": masked_code(a) if a else "",
            "register_form": register,
        }


def _is_uscc(code: str) -> bool:
    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def _kind_label(applicant: Citizen | Enterprise | None) -> str:
    if applicant is None:
        return ""
    return "自然人" if isinstance(applicant, Citizen) else "法人"


def _item(value: Any) -> ServiceItem | None:
    text = str(value or "")
    if not text.isdigit():
        return None
    return published_items().filter(pk=int(text)).first()


def _bundle(value: Any) -> Bundle | None:
    text = str(value or "")
    if not text.isdigit():
        return None
    return bundle_views.published_bundles().filter(pk=int(text)).first()


def _uses(item: ServiceItem) -> list[Any]:
    return list(item.item_materials.select_related("material").order_by("order", "id"))


def _items(q: str, department: str) -> tuple[list[ServiceItem], bool]:
    qs: QuerySet[ServiceItem] = search_items(q=q, department=department or None).order_by(
        "department__name", "name"
    )
    found = list(qs[: MAX_ITEMS + 1])
    return found[:MAX_ITEMS], len(found) > MAX_ITEMS


def _item_context(request: HttpRequest, code: str) -> dict[str, Any]:
    q = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "").strip()
    items, more = _items(q, department)
    return {
        "bundles": bundle_views.search_bundles(q),
        "q": q,
        "department_id": department,
        "departments": Department.objects.filter(is_active=True).order_by("name"),
        "items": items,
        "more_items": more,
        "lookup_code": code,
    }


def _new_form(item: ServiceItem, applicant: Citizen | Enterprise) -> IntakeForm:
    return IntakeForm(
        item=item,
        initial={
            "code": applicant_code(applicant),
            "item": item.pk,
            "idempotency_key": new_idempotency_key(),
            **contact_of(applicant),
        },
        initial_form=prefill(item, applicant),
    )


def _render(
    request: HttpRequest,
    *,
    lookup: Lookup,
    item: ServiceItem | None,
    form: IntakeForm | None = None,
    checklist: Checklist | None = None,
    register: RegisterForm | None = None,
    status: int = 200,
) -> HttpResponse:
    applicant = lookup.applicant
    if applicant is not None and item is not None and form is None:
        form = _new_form(item, applicant)
        checklist = Checklist.of(_uses(item), applicant=applicant)
    context = {
        **lookup.context(register),
        **(_item_context(request, lookup.code) if applicant is not None and item is None else {}),
        "item": item,
        "form": form,
        "checklist": checklist,
        "outcomes": OUTCOMES,
        "change_item_url": _intake_url(lookup.code),
        "continue_url": _intake_url(lookup.code, item),
        "partial": False,
    }
    return render(request, "applications/intake.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# The screen
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _submit(request)
    lookup = Lookup(request.GET.get("code", ""))
    item = _item(request.GET.get("item")) if lookup.applicant is not None else None
    status = 400 if lookup.error else 200
    return _render(request, lookup=lookup, item=item, status=status)


def _submit(request: HttpRequest) -> HttpResponse:
    """One intake, all or nothing: a refusal re-renders the screen with the message next to the
    field and status 400 (or the service's), nothing saved."""
    lookup = Lookup(request.POST.get("code", ""))
    item = _item(request.POST.get("item"))
    if lookup.applicant is None or item is None:
        if item is None:
            messages.error(request, "事项不存在或当前版本未发布，请重新选择事项")
        return _render(request, lookup=lookup, item=None, status=400)
    form = IntakeForm(request.POST, item=item)
    checklist = Checklist.of(_uses(item), request.POST, applicant=lookup.applicant)
    valid = form.is_valid() & checklist.is_valid()
    outcome = form.cleaned_data.get("outcome", "")
    if valid and outcome == "supplement":
        check_supplement(form, checklist)
        valid = not form.errors and not any(row.errors for row in checklist.rows)
    if not valid:
        messages.error(request, "请检查标出的内容")
        return _render(request, lookup=lookup, item=item, form=form, checklist=checklist, status=400)
    d = form.cleaned_data
    ticked = checklist.to_supplement() if outcome == "supplement" else []
    try:
        result = services.window_intake(
            item=item,
            by=request.user,
            applicant=lookup.applicant,
            contact_name=d["contact_name"],
            contact_phone=d["contact_phone"],
            form_data=form.form_data(),
            materials=checklist.marks(received_only=outcome == "supplement"),
            outcome=outcome,
            delivery_method=d["delivery_method"],
            postal_recipient=d["postal_recipient"],
            postal_phone=d["postal_phone"],
            postal_address=d["postal_address"],
            reason=d["reason"],
            remedy=d["remedy"],
            supplement=checklist.supplement_entries() if outcome == "supplement" else (),
            idempotency_key=d["idempotency_key"],
        )
    except DomainError as exc:
        if not checklist.place(exc, ticked):
            place_error(form, exc, form.RENAME)
        messages.error(request, exc.message)
        return _render(request, lookup=lookup, item=item, form=form, checklist=checklist, status=exc.status)
    number = result.application.number
    if result.query_code is not None:
        request.session[SESSION_RECEIPT] = {"number": number, "code": result.query_code}
    return redirect("applications:intake_done", number=number)


@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_GET
def applicant_lookup(request: HttpRequest) -> HttpResponse:
    """The match for the typed number (htmx); without htmx, the screen itself with ``?code=``."""
    lookup = Lookup(request.GET.get("code", ""))
    if not is_htmx(request):
        return redirect(_intake_url(lookup.code, _item(request.GET.get("item"))))
    item = _item(request.GET.get("item"))
    context = {
        **lookup.context(),
        "item": item,
        "continue_url": _intake_url(lookup.code, item),
        "partial": True,
    }
    return render(request, "applications/intake_applicant.html", context, status=400 if lookup.error else 200)


@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    """登记新申请人, then on with the screen for them."""
    form = RegisterForm(request.POST)
    item = _item(request.POST.get("item"))
    bundle = _bundle(request.POST.get("bundle"))
    applicant: Citizen | Enterprise | None = None
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            applicant = services.register_applicant(
                kind=d["kind"],
                code=d["code"],
                name=d["name"],
                phone=d["phone"],
                address=d["address"],
                legal_representative=d["legal_representative"],
                by=request.user,
            )
        except DomainError as exc:
            place_error(form, exc, RegisterForm.RENAME)
            status = exc.status
    if applicant is not None:
        code = applicant_code(applicant)
        if bundle is not None:  # registered from a 一件事's intake: back there
            messages.success(request, f"已登记申请人 {applicant.name}")
            url = bundle_views.bundle_intake_url(bundle, code)
            return HttpResponseClientRedirect(url) if is_htmx(request) else redirect(url)
        if not is_htmx(request):
            messages.success(request, f"已登记申请人 {applicant.name}")
            return redirect(_intake_url(code, item))
        lookup = Lookup(code)
        context = {
            **lookup.context(),
            "continue_url": _intake_url(code, item),
            "partial": True,
            "registered": True,
        }
        return render(request, "applications/intake_applicant.html", context)
    lookup = Lookup(str(form["code"].value() or ""))
    if lookup.applicant is not None or lookup.error:  # keep the form, not the lookup's verdict
        lookup.applicant, lookup.error = None, ""
    if is_htmx(request):
        context = {
            **lookup.context(form),
            "item": item,
            "bundle": bundle,
            "continue_url": _intake_url(lookup.code, item),
            "partial": True,
        }
        return render(request, "applications/intake_applicant.html", context, status=status)
    if bundle is not None:
        return bundle_views.intake_page(request, bundle, lookup, register=form, status=status)
    return _render(request, lookup=lookup, item=item, register=form, status=status)


@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_GET
def item_search(request: HttpRequest) -> HttpResponse:
    """Published items of every department by name, code or department (htmx); without htmx the
    screen itself with the same query."""
    code = request.GET.get("code", "").strip().upper()[:18]
    if not is_htmx(request):
        query = {k: v for k in ("code", "q", "department") if (v := request.GET.get(k, "").strip())}
        return redirect(reverse("applications:intake") + f"?{urlencode(query)}")
    return render(request, "applications/intake_items.html", _item_context(request, code))


# ---------------------------------------------------------------------------------------------
# The receipt, and 即办 on the spot
# ---------------------------------------------------------------------------------------------


def _done_context(request: HttpRequest, application: Application, code: str | None) -> dict[str, Any]:
    notices = [
        {"notice": n, "url": _url("applications:notice", application.number, n.number)}
        for n in application.notices.order_by("issued_at", "id")
    ]
    may_decide = any(
        a.code == "decide_at_window" for a in services.available_actions(application, request.user)
    )
    return {
        "application": application,
        "query_code": code,
        "notices": notices,
        "detail_url": _url("applications:detail", application.number),
        "applicant_masked_code": mask_applicant(application),
        "may_decide": may_decide,
        "kind_label": applicant_kind_label(application),
        "new_intake_url": reverse("applications:intake"),
    }


def mask_applicant(application: Application) -> str:
    if application.citizen is not None:
        return application.citizen.masked_id_number
    return application.applicant_code


def applicant_kind_label(application: Application) -> str:
    return application.get_applicant_kind_display()


@never_cache
@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_GET
def done(request: HttpRequest, number: str) -> HttpResponse:
    """受理回执: the query code is shown on the first view only, then forgotten."""
    application = application_for(request.user, number)
    receipt = request.session.get(SESSION_RECEIPT)
    code = None
    if receipt and receipt.get("number") == application.number:
        code = receipt.get("code")
        del request.session[SESSION_RECEIPT]
    context = _done_context(request, application, code)
    if context["may_decide"]:
        context["decide_form"] = DecideForm(initial={"version": application.version})
    return render(request, "applications/intake_done.html", context)


@login_required
@permission_required(P_ACCEPT, raise_exception=True)
@require_POST
def decide(request: HttpRequest, number: str) -> HttpResponse:
    """当场办结（即办）: services.decide_at_window, for a clerk the department authorised."""
    application = application_for(request.user, number)
    form = DecideForm(request.POST)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.decide_at_window(
                application=application,
                by=request.user,
                approved=d["approved"],
                opinion=d["opinion"],
                result_number=d["result_number"],
                version=d["version"],
            )
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            messages.success(request, "已当场办结（即办）")
            return redirect("applications:intake_done", number=application.number)
    context = _done_context(request, application, None)
    context["decide_form"] = form
    context["may_decide"] = True
    return render(request, "applications/intake_done.html", context, status=status)
