"""Staff pages of applications, mounted at /applications/: the worklists, the application page
and its actions (staff_urls), and the window's 综合受理 screen (intake_urls)."""

from django.urls import include, path

app_name = "applications"
urlpatterns = [
    path("intake/", include("zhengwu.applications.intake_urls")),
    path("proxy/", include("zhengwu.applications.proxy_urls")),
    path("", include("zhengwu.applications.staff_urls")),
]
