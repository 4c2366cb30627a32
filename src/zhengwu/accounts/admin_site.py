"""管理后台: only administrators (the 管理员 role, or a superuser) may enter. Every other role is
sent to the login page (or gets 403 on a view it cannot reach), whatever ``is_staff`` says."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .roles import is_administrator


class AdminSite(admin.AdminSite):
    site_header = "政务服务平台 管理后台"
    site_title = "政务服务平台"
    index_title = "数据管理"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user)
