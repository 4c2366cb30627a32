"""一事一评 online, included under /apply/mine/ by zhengwu.applications.public_urls (names in the
applications_public namespace)."""

from django.urls import path

from . import public_views as views

urlpatterns = [
    path("bundle/<str:number>/rate/", views.rate_bundle, name="bundle_rate"),
    path("<str:number>/rate/", views.rate_application, name="rate"),
]
