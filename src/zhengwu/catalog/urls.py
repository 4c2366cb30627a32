from django.urls import path

from . import urls_excel, views

app_name = "catalog"
urlpatterns: list = [
    path("guide/", views.guide_search, name="guide_search"),
    path("guide/items/<int:pk>/", views.item_guide, name="item_guide"),
    path("guide/bundles/", views.bundle_list, name="bundle_list"),
    path("guide/bundles/<int:pk>/", views.bundle_guide, name="bundle_guide"),
]
urlpatterns += urls_excel.urlpatterns
