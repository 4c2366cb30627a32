from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script=): no inline script
    # under the Content-Security-Policy.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path("", include("zhengwu.org.api")),
    path("", include("zhengwu.calendar.api")),
    # 一件事办件 and realised savings first: /api/bundles/realised-savings/ would otherwise be taken by
    # the catalogue router's /api/bundles/{pk}/.
    path("", include("zhengwu.applications.bundle_api")),
    path("", include("zhengwu.catalog.api")),
    path("", include("zhengwu.triage.api")),
    path("", include("zhengwu.appeals.api")),
    path("", include("zhengwu.applications.api")),
    path("", include("zhengwu.applications.proxy_api")),
    path("", include("zhengwu.hall.api")),
    path("", include("zhengwu.licences.verify_api")),
    path("", include("zhengwu.licences.api")),
    path("", include("zhengwu.ratings.staff_api")),
    path("", include("zhengwu.ratings.api")),
    path("", include("zhengwu.ratings.pad_api")),
    path("", include("zhengwu.ratings.invite_api")),
    path("", include("zhengwu.ratings.figures_api")),
    path("", include("zhengwu.analytics.api")),
]
