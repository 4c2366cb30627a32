"""Applicant pages, mounted at /apply/: 在线办理, 我的办件, progress by number and query code."""

from django.urls import include, path

from . import bundle_public_views as bundle_views
from . import proxy_views
from . import public_views as views

app_name = "applications_public"
urlpatterns = [
    path("<int:item_id>/", views.apply, name="apply"),
    path("receipt/", views.receipt, name="receipt"),
    path("bundle/<int:bundle_id>/", bundle_views.apply, name="bundle_apply"),
    path("bundle/<int:bundle_id>/realised/", bundle_views.realised, name="bundle_realised"),
    path("bundle/receipt/", bundle_views.receipt, name="bundle_receipt"),
    path("mine/bundles/", bundle_views.mine, name="mine_bundles"),
    path("mine/bundle/<str:number>/", bundle_views.detail, name="bundle_detail"),
    path("mine/bundle/<str:number>/withdraw/", bundle_views.withdraw, name="bundle_withdraw"),
    path(
        "mine/bundle/<str:number>/notices/<str:notice_number>.pdf",
        bundle_views.notice_pdf,
        name="bundle_notice_pdf",
    ),
    path("mine/", include("zhengwu.ratings.public_urls")),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:number>/", views.detail, name="detail"),
    path("mine/<str:number>/supply/", views.supply, name="supply"),
    path("mine/<str:number>/withdraw/", views.withdraw, name="withdraw"),
    path("mine/<str:number>/notices/<str:notice_number>.pdf", views.notice_pdf, name="notice_pdf"),
    path("mine/<str:number>/files/<int:file_id>/", views.material_file, name="file"),
    path("proxy-service/", proxy_views.public_list, name="proxy_items"),
    path("track/", views.track, name="track"),
    path("track/<str:number>/", views.status, name="status"),
]
