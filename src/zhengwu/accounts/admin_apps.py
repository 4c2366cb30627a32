"""The admin app with our own site (``admin_site.AdminSite``). Listed in INSTALLED_APPS in place of
``django.contrib.admin``; kept apart from ``apps.py`` so that module declares one app config."""

from django.contrib.admin.apps import AdminConfig


class AdminSiteConfig(AdminConfig):
    default_site = "zhengwu.accounts.admin_site.AdminSite"
