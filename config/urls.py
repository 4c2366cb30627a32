from django.contrib import admin
from django.urls import include, path

from zhengwu.accounts.urls import auth_urlpatterns

admin.site.site_header = "政务服务平台 管理后台"
admin.site.site_title = "政务服务平台"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("zhengwu.api.urls")),
    path("accounts/", include(auth_urlpatterns)),
    path("accounts/", include("zhengwu.accounts.urls")),
    path("calendar/", include("zhengwu.calendar.urls")),
    path("appeals/", include("zhengwu.appeals.urls")),
    path("triage/", include("zhengwu.triage.urls")),
    path("open311/v2/", include("zhengwu.appeals.open311")),
    path("", include("zhengwu.appeals.public_urls")),
    path("", include("zhengwu.catalog.urls")),
    path("", include("zhengwu.web.urls")),
]
