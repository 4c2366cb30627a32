"""The staff pages of applications at /applications/ (namespace "applications"): the worklists, the
list and its exports, and an application's page, actions and downloads."""

from django.urls import path

from . import bundle_views, views

urlpatterns = [
    path("bundles/", bundle_views.bundle_list, name="bundle_list"),
    path("bundles/export.xlsx", bundle_views.bundle_export, name="bundle_export"),
    path("bundles/<str:number>/", bundle_views.bundle_detail, name="bundle_detail"),
    path("bundles/<str:number>/act/<str:action>/", bundle_views.bundle_act, name="bundle_act"),
    path(
        "bundles/<str:number>/notices/<str:notice_number>.pdf",
        bundle_views.bundle_notice,
        name="bundle_notice",
    ),
    path("window/", views.window_queue, name="window_queue"),
    path("review/", views.review_queue, name="review_queue"),
    path("delivery/", views.delivery_queue, name="delivery_queue"),
    path("export.xlsx", views.export, name="export"),
    path("export.json", views.export_json, name="export_json"),
    path("", views.application_list, name="list"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
    path("<str:number>/notices/<str:notice_number>.pdf", views.notice, name="notice"),
    path("<str:number>/files/<int:file_id>/", views.material_file, name="file"),
]
