from __future__ import annotations

from django.urls import URLPattern, path

from . import report_views

urlpatterns: list[URLPattern] = [
    path("reports/", report_views.report_list, name="reports"),
    path("reports/generate/", report_views.report_generate, name="report_generate"),
    path("reports/<str:month>.pdf", report_views.report_pdf, name="report_pdf"),
]
