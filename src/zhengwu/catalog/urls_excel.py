"""Excel import/export pages; included into the "catalog" namespace by catalog/urls.py
(``urlpatterns += urls_excel.urlpatterns``), which is mounted at the site root."""

from django.urls import path

from . import views_excel

urlpatterns = [
    path("catalog/excel/", views_excel.excel_page, name="excel"),
    path("catalog/excel/export.xlsx", views_excel.excel_export, name="excel_export"),
    path("catalog/excel/template.xlsx", views_excel.excel_template, name="excel_template"),
]
