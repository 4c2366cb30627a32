"""Routes of the statistics pages: the overview, the window's day, the records behind a figure,
the public figures and the demo city's map. Excel is the same page with ?format=xlsx."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import dashboard_views as views

urlpatterns: list[URLPattern] = [
    path("", views.overview, name="overview"),
    path("window/", views.window_day, name="window_day"),
    path("records/", views.records, name="records"),
    path("public/", views.public, name="public"),
    path("geo/regions.json", views.geo_regions, name="geo"),
]
