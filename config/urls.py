from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from zhengwu.accounts.urls import auth_urlpatterns

admin.site.site_header = "政务服务平台 管理后台"
admin.site.site_title = "政务服务平台"
admin.site.index_title = "数据管理"

# Chinese pages in the site's layout; 500 (and 503 when the database is down) are static.
handler400 = "zhengwu.web.errors.bad_request"
handler403 = "zhengwu.web.errors.permission_denied"
handler404 = "zhengwu.web.errors.page_not_found"
handler500 = "zhengwu.web.errors.server_error"

urlpatterns = [
    # Browsers ask for /favicon.ico on their own (e.g. for a JSON page); the pages link the SVG.
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/", include("zhengwu.api.urls")),
    path("accounts/", include(auth_urlpatterns)),
    path("accounts/", include("zhengwu.accounts.urls")),
    path("calendar/", include("zhengwu.calendar.urls")),
    path("appeals/", include("zhengwu.appeals.urls")),
    path("applications/", include("zhengwu.applications.urls")),
    path("apply/", include("zhengwu.applications.public_urls")),
    path("hall/", include("zhengwu.hall.urls")),
    path("appointments/", include("zhengwu.hall.public_urls")),
    path("triage/", include("zhengwu.triage.urls")),
    path("licences/staff/", include("zhengwu.licences.staff_urls")),
    path("licences/", include("zhengwu.licences.public_urls")),
    path("my/licences/", include("zhengwu.licences.urls")),
    path("open311/v2/", include("zhengwu.appeals.open311")),
    path("ratings/phone/", include("zhengwu.ratings.callback_urls")),
    path("ratings/figures/", include("zhengwu.ratings.figures_urls")),
    path("ratings/public/", include("zhengwu.ratings.public_figures_urls")),
    path("ratings/", include("zhengwu.ratings.urls")),
    path("pad/", include("zhengwu.ratings.pad_urls")),
    path("stats/", include("zhengwu.analytics.urls")),
    path("r/", include("zhengwu.ratings.invite_urls")),
    path("", include("zhengwu.appeals.public_urls")),
    path("", include("zhengwu.catalog.urls")),
    path("", include("zhengwu.web.urls")),
]
