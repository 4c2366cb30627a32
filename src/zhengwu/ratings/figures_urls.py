"""好差评 figures for staff with drill-down and exports, mounted at /ratings/figures/."""

from django.urls import path  # noqa: F401

app_name = "ratings_figures"
urlpatterns: list = []
