"""Citizen pages, mounted at the site root: 我要反映, 查询进度, 我的诉求, 常见问题."""

from django.urls import path

from . import public_views as views

app_name = "appeals_public"
urlpatterns = [
    path("appeal/new/", views.new, name="new"),
    path("appeal/receipt/", views.receipt, name="receipt"),
    path("appeal/track/", views.track, name="track"),
    path("appeal/track/<str:number>/", views.status, name="status"),
    path("appeal/track/<str:number>/rate/", views.rate, name="rate"),
    path("appeal/mine/", views.mine, name="mine"),
    path("appeal/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("knowledge/", views.knowledge_page, name="knowledge"),
    path("knowledge/suggest/", views.knowledge_suggest, name="knowledge_suggest"),
]
