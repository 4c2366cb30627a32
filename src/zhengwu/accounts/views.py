from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from zhengwu.core.throttle import address

from . import services
from .models import Citizen, Enterprise
from .selectors import users_visible_to

PAGE_SIZE = 30


@login_required
@permission_required("accounts.view_user", raise_exception=True)
def staff_list(request: HttpRequest) -> HttpResponse:
    qs = (
        users_visible_to(request.user)
        .filter(is_active=True)
        .prefetch_related("groups")
        .order_by("department", "username")
    )
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(username__icontains=q) | Q(name__icontains=q))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html", {"page_obj": page, "q": q})


@login_required
@permission_required("accounts.view_citizen", raise_exception=True)
def people(request: HttpRequest) -> HttpResponse:
    """Applicants, masked. Searching by a whole ID number or USCC works; partial numbers do not,
    so the list cannot be used to enumerate people by number."""
    q = request.GET.get("q", "").strip()
    kind = "enterprise" if request.GET.get("kind") == "enterprise" else "citizen"
    qs: QuerySet[Citizen] | QuerySet[Enterprise]
    if kind == "enterprise":
        qs = Enterprise.objects.all()
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(uscc=q.upper()))
    else:
        qs = Citizen.objects.all()
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(id_number=q.upper()))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/people.html", {"page_obj": page, "q": q, "kind": kind})


def _detail(request: HttpRequest, person: Citizen | Enterprise) -> HttpResponse:
    revealed = False
    if request.method == "POST" and request.user.has_perm("accounts.view_personal_data"):
        services.reveal_personal_data(person=person, by=request.user, ip=address(request))
        revealed = True
    return render(request, "accounts/person_detail.html", {"person": person, "revealed": revealed})


@login_required
@permission_required("accounts.view_citizen", raise_exception=True)
def citizen_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Citizen, pk=pk))


@login_required
@permission_required("accounts.view_enterprise", raise_exception=True)
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Enterprise, pk=pk))
