"""The issuing department's licence pages, mounted at /licences/staff/: the list (search, filters,
Excel), one licence with its versions, and 变更 / 注销 / 吊销 through the services.

Who: staff whose role reviews applications (后台审批, the department that issues) see their
department's licences; city-wide roles see all. Another department's licence is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengwu.core.errors import DomainError
from zhengwu.core.excel import xlsx_response

from . import exports, selectors, services
from .forms import ChangeForm, EndForm, StaffFilterForm
from .models import Licence, LicenceState
from .views import qr_svg, search, state_label

P_REVIEW = "applications.review_application"
PAGE_SIZE = 50
END_VERBS = {LicenceState.CANCELLED: "注销", LicenceState.REVOKED: "吊销"}


def may_manage_licences(user: Any) -> bool:
    """Staff of an issuing department's back office, or a city-wide role."""
    if not (getattr(user, "is_authenticated", False) and user.is_staff and user.is_active):
        return False
    return bool(user.has_perm(P_REVIEW) or user.sees_all_departments)


def visible(user: Any) -> QuerySet[Licence]:
    if not may_manage_licences(user):
        return Licence.objects.none()
    return selectors.issued_by_visible_to(user)


def _guard(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_manage_licences(request.user):
        raise PermissionDenied("只有颁发机构的审批人员可以管理电子证照")
    return None


def _licence(request: HttpRequest, pk: int) -> Licence:
    found = visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("没有找到该证照")
    return found


def filtered(request: HttpRequest) -> tuple[QuerySet[Licence], StaffFilterForm]:
    form = StaffFilterForm(request.GET or None)
    qs = visible(request.user)
    if form.is_valid():
        f = form.cleaned_data
        qs = search(qs, f.get("q") or "")
        if f.get("licence_type"):
            qs = qs.filter(licence_type=f["licence_type"])
        if f.get("state"):
            qs = qs.filter(state=f["state"])
    return qs, form


@never_cache
@require_GET
def licence_list(request: HttpRequest) -> HttpResponseBase:
    if (stop := _guard(request)) is not None:
        return stop
    qs, form = filtered(request)
    if request.GET.get("format") == "xlsx":
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return xlsx_response(exports.licences_xlsx(qs, user=request.user), f"电子证照-{stamp}.xlsx")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(lic, state_label(lic)) for lic in page.object_list]
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query["format"] = "xlsx"
    return render(
        request,
        "licences/staff/list.html",
        {"page_obj": page, "rows": rows, "form": form, "export_query": export_query.urlencode()},
    )


@never_cache
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (stop := _guard(request)) is not None:
        return stop
    licence = _licence(request, pk)
    versions = visible(request.user).filter(issuer=licence.issuer, serial=licence.serial).order_by("version")
    context = {
        "licence": licence,
        "state_label": state_label(licence),
        "versions": versions,
        "qr": qr_svg(licence),
        "uses": licence.uses.select_related("application")[:20],
        "is_valid": licence.state == LicenceState.VALID,
    }
    return render(request, "licences/staff/detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def change(request: HttpRequest, pk: int) -> HttpResponse:
    """变更: a new version with the edited surface; the old one becomes 已变更."""
    if (stop := _guard(request)) is not None:
        return stop
    licence = _licence(request, pk)
    form = ChangeForm(request.POST or None, licence=licence)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                new = services.change(
                    licence=licence,
                    by=request.user,
                    surface=form.surface(),
                    reason=form.cleaned_data["reason"],
                    holder_name=form.cleaned_data["holder_name"],
                )
            except DomainError as e:
                _place(form, e)
                status = e.status
            else:
                messages.success(request, f"已变更，现行版本为{new.identifier}")
                return redirect("licences_staff:detail", new.pk)
    return render(request, "licences/staff/change.html", {"licence": licence, "form": form}, status=status)


def _place(form: Any, e: DomainError) -> None:
    name = e.field or ""
    if name.startswith("surface."):
        name = f"surface_{name.split('.', 1)[1]}"
    form.add_error(name if name in form.fields else None, e.message)


@never_cache
@require_http_methods(["GET", "POST"])
def end(request: HttpRequest, pk: int, state: str) -> HttpResponse:
    """注销 or 吊销: the reason and the date, a confirmation page, then the service."""
    if (stop := _guard(request)) is not None:
        return stop
    licence = _licence(request, pk)
    verb = END_VERBS[LicenceState(state)]
    form = EndForm(request.POST or None)
    status = 200
    confirming = False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if not data.get("confirm"):
                confirming = True
                status = 200
            else:
                try:
                    services.end(
                        licence=licence, by=request.user, state=state, reason=data["reason"], on=data["on"]
                    )
                except DomainError as e:
                    _place(form, e)
                    status = e.status
                else:
                    messages.success(request, f"已{verb}该证照")
                    return redirect("licences_staff:detail", licence.pk)
    context = {"licence": licence, "form": form, "verb": verb, "state": state, "confirming": confirming}
    return render(request, "licences/staff/end.html", context, status=status)
