from __future__ import annotations

from django.urls import URLPattern, path

from . import ranking_views

urlpatterns: list[URLPattern] = [
    path("rankings/", ranking_views.rankings, name="rankings"),
]
