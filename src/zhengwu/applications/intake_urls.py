"""The window's 综合受理 screen, mounted at /applications/intake/ in the "applications" namespace."""

from django.urls import path

from . import bundle_views
from . import intake_views as views

urlpatterns = [
    path("", views.intake, name="intake"),
    path("applicant/", views.applicant_lookup, name="intake_applicant"),
    path("applicant/new/", views.register, name="intake_register"),
    path("items/", views.item_search, name="intake_items"),
    path("done/<str:number>/", views.done, name="intake_done"),
    path("done/<str:number>/decide/", views.decide, name="intake_decide"),
    path("bundle/<int:bundle_id>/", bundle_views.bundle_intake, name="intake_bundle"),
    path("bundle/done/<str:number>/", bundle_views.bundle_intake_done, name="intake_bundle_done"),
]
