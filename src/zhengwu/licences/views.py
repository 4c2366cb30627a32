"""我的证照 — the holder's wallet, mounted at /my/licences/: the citizen's and their enterprises'
licences, each one's PDF (every download logged as a use), share links for an organisation
(授权用证) and the use log (用证记录). The share viewer needs no account: the link is the key.

A licence that is not the signed-in holder's is 404, as for 我的办件."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengwu.core.errors import DomainError

from . import selectors, services
from .forms import ShareForm
from .models import Licence, LicenceShare, LicenceUse, UseKind

PAGE_SIZE = 20
DOWNLOAD_PURPOSE = "持证人下载"


def refusal(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "licences/refused.html", {"title": title, "message": message}, status=status)


def private(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_response(licence: Licence, *, inline: bool = False) -> HttpResponse:
    from .pdf import render_pdf  # reportlab is loaded only when a PDF is asked for

    response = HttpResponse(render_pdf(licence), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="licence-{licence.pk}.pdf"'
    return private(response)


def qr_svg(licence: Licence) -> str:
    import segno

    return segno.make(services.qr_text(licence), error="m").svg_inline(scale=3, title="证照二维码")


def state_label(licence: Licence) -> str:
    if licence.state == "valid" and licence.expired_on(timezone.localdate()):
        return "已过期"
    return licence.get_state_display()


def search(qs: QuerySet[Licence], q: str) -> QuerySet[Licence]:
    q = q.strip()[:100]
    if not q:
        return qs
    return qs.filter(
        Q(identifier__icontains=q)
        | Q(number__icontains=q)
        | Q(licence_type__name__icontains=q)
        | Q(holder_name__icontains=q)
        | Q(holder_code=q.upper())
    )


def _holder_licence(request: HttpRequest, pk: int) -> Licence:
    found = selectors.held_by(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("没有找到该证照")
    return found


def _login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


@never_cache
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的证照: newest first, searchable, a page at a time."""
    if (login := _login(request)) is not None:
        return login
    q = request.GET.get("q", "")
    qs = search(selectors.held_by(request.user), q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(licence, state_label(licence)) for licence in page.object_list]
    return render(request, "licences/mine.html", {"page_obj": page, "rows": rows, "q": q})


@never_cache
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (login := _login(request)) is not None:
        return login
    licence = _holder_licence(request, pk)
    return render(request, "licences/detail.html", _detail_context(licence))


def _detail_context(licence: Licence, **extra: Any) -> dict[str, Any]:
    return {
        "licence": licence,
        "state_label": state_label(licence),
        "qr": qr_svg(licence),
        "shares": licence.shares.all()[:50],
        "uses": licence.uses.select_related("application")[:10],
        "form": extra.pop("form", None) or ShareForm(),
        "now": timezone.now(),
        **extra,
    }


@never_cache
@require_GET
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The licence as PDF, logged as a 下载 by the holder."""
    if (login := _login(request)) is not None:
        return login
    licence = _holder_licence(request, pk)
    response = pdf_response(licence)
    user: Any = request.user
    services.log_use(
        licence, kind=UseKind.DOWNLOAD, used_by=user.display_name, purpose=DOWNLOAD_PURPOSE, user=user
    )
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def share(request: HttpRequest, pk: int) -> HttpResponse:
    """授权用证: the form, then the link — shown this once, only its digest is kept."""
    if (login := _login(request)) is not None:
        return login
    licence = _holder_licence(request, pk)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            granted, token = services.grant_share(
                licence=licence,
                by=request.user,
                organisation=data["organisation"],
                purpose=data["purpose"],
                days=data["days"],
            )
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
            return render(request, "licences/share.html", {"licence": licence, "form": form}, status=e.status)
        link = request.build_absolute_uri(reverse("licences:shared", args=[token]))
        return private(
            render(request, "licences/share_done.html", {"licence": licence, "share": granted, "link": link})
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "licences/share.html", {"licence": licence, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def share_revoke(request: HttpRequest, share_id: int) -> HttpResponse:
    """撤销授权: a confirmation page, then the POST."""
    if (login := _login(request)) is not None:
        return login
    found = (
        LicenceShare.objects.select_related("licence__licence_type")
        .filter(pk=share_id, licence__in=selectors.held_by(request.user).values("pk"))
        .first()
    )
    if found is None:
        raise Http404("没有找到该授权")
    if request.method == "POST":
        services.revoke_share(share=found, by=request.user)
        messages.success(request, f"已撤销对{found.organisation}的授权，该链接不能再打开")
        return redirect("licences:detail", found.licence_id)
    return render(request, "licences/share_revoke.html", {"share": found, "licence": found.licence})


@never_cache
@require_GET
def uses(request: HttpRequest) -> HttpResponse:
    """用证记录: every use of the holder's licences (or of one, ?licence=id), newest first."""
    if (login := _login(request)) is not None:
        return login
    held = selectors.held_by(request.user)
    licence = None
    raw = request.GET.get("licence", "")
    if raw:
        licence = held.filter(pk=int(raw)).first() if raw.isdigit() else None
        if licence is None:
            raise Http404("没有找到该证照")
    qs = LicenceUse.objects.select_related("licence__licence_type", "application", "share")
    qs = qs.filter(licence=licence) if licence else qs.filter(licence__in=held.values("pk"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "licences/uses.html", {"page_obj": page, "licence": licence})


def _open(request: HttpRequest, token: str) -> LicenceShare | HttpResponse:
    try:
        return services.open_share(token)
    except DomainError as e:
        if e.status == 404:
            return refusal(request, "授权链接无效", "没有找到该授权链接，请向持证人核对链接是否完整。", 404)
        return refusal(
            request,
            "授权已失效",
            f"{e.message}，不能再查看该证照。如需继续使用，请联系持证人重新授权。",
            e.status,
        )


@never_cache
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """What the organisation sees through the link: the summary and the PDF, each view logged."""
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    licence = opened.licence
    context = {"share": opened, "licence": licence, "state_label": state_label(licence), "token": token}
    return private(render(request, "licences/shared.html", context))


@never_cache
@require_GET
def shared_pdf(request: HttpRequest, token: str) -> HttpResponse:
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    return pdf_response(opened.licence, inline=True)
