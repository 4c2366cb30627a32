"""好差评 figures for staff with drill-down and exports, mounted at /ratings/figures/."""

from django.urls import path, re_path

from . import figures_views

app_name = "ratings_figures"
urlpatterns: list = [
    path("", figures_views.staff_figures, name="figures"),
    path("ratings/", figures_views.rating_list, name="ratings"),
    re_path(r"^export/gbt39046\.(?P<fmt>xlsx|json)$", figures_views.export_gbt39046, name="gbt39046"),
]
