"""Staff login with two brakes on guessing. django-axes locks a username only for the address it
was guessed from (AXES_LOCKOUT_PARAMETERS: the pair), so a stranger cannot lock a known user out
and one mistyping clerk behind a hall's proxy does not lock out all staff behind it. Here, an
address that fails far more often than a person would (LOGIN_IP_FAILURE_LIMIT, many usernames)
is refused for a while: a wider net for password spraying, counted in the shared cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhengwu.core.throttle import FailureCounter, client_ip


def ip_failures() -> FailureCounter:
    return FailureCounter(
        "login-ip", settings.LOGIN_IP_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds())
    )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if ip_failures().blocked(client_ip(request)):
            return render(request, "accounts/ip_throttled.html", status=429)
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        """Without a ?next=, staff land on their work page and applicants on 我的办件."""
        user = self.request.user
        if user.is_authenticated and not user.is_staff:
            return reverse("applications_public:mine")
        return super().get_default_redirect_url()

    def form_invalid(self, form: Any) -> HttpResponse:
        ip_failures().fail(client_ip(self.request))
        return super().form_invalid(form)
