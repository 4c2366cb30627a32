from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from zhengwu.core.errors import Conflict, DomainError
from zhengwu.core.throttle import FailureCounter, address, client_ip

from . import services, signup
from .forms import EnterpriseSignUpForm, PersonSignUpForm, place_error
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


# ---------------------------------------------------------------------------------------------
# 注册 — applicants open their own account
# ---------------------------------------------------------------------------------------------

# Refused sign-ups ("already registered") from one address before it must wait: enough for a
# family signing up one by one, too few to test numbers in bulk.
SIGNUP_FAILURES = FailureCounter("signup-ip", limit=20, seconds=60 * 60)
SIGNUP_LOCKED = "注册尝试次数过多，请1小时后再试"


def _next_url(request: HttpRequest) -> str:
    """Where a new applicant goes: back to the page that sent them (an 在线办理 link), else 我的办件."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("applications_public:mine")


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    """注册 for 自然人 (?kind=person, the default) and 法人 (?kind=enterprise). A signed-in user
    has an account already and goes on to where they were heading."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    kind = "enterprise" if (request.POST.get("kind") or request.GET.get("kind")) == "enterprise" else "person"
    form_class = EnterpriseSignUpForm if kind == "enterprise" else PersonSignUpForm
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        ip = client_ip(request)
        if SIGNUP_FAILURES.blocked(ip):
            form.is_valid()
            form.add_error(None, SIGNUP_LOCKED)
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                if kind == "enterprise":
                    user = signup.sign_up_enterprise(
                        name=data["name"],
                        uscc=data["uscc"],
                        legal_representative=data["legal_representative"],
                        agent_name=data["agent_name"],
                        agent_phone=data["agent_phone"],
                        password=data["password"],
                        ip=address(request),
                    )
                else:
                    user = signup.sign_up_person(
                        name=data["name"],
                        id_number=data["id_number"],
                        phone=data["phone"],
                        password=data["password"],
                        ip=address(request),
                    )
            except DomainError as exc:
                if isinstance(exc, Conflict):
                    SIGNUP_FAILURES.fail(ip)
                place_error(form, exc)
                status = exc.status
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(_next_url(request))
        else:
            status = 400
    else:
        form = form_class()
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "kind": kind, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )
