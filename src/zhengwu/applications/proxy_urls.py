"""帮办代办 staff pages, mounted at /applications/proxy/ (namespace "applications")."""

from django.urls import path

from . import proxy_views as views

urlpatterns = [
    path("", views.workbench, name="proxy_workbench"),
    path("new/", views.new, name="proxy_new"),
    path("<str:number>/", views.detail, name="proxy_detail"),
    path("<str:number>/act/<str:action>/", views.act, name="proxy_act"),
    path("<str:number>/file/<int:item_id>/", views.file, name="proxy_file"),
    path("<str:number>/collect/<str:application_number>/", views.collect, name="proxy_collect"),
    path("<str:number>/authorisations/<int:pk>/", views.authorisation_file, name="proxy_authorisation_file"),
]
