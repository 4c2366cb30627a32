from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("zhengwu.org.api")),
    path("", include("zhengwu.calendar.api")),
    path("", include("zhengwu.catalog.api")),
    path("", include("zhengwu.triage.api")),
    path("", include("zhengwu.appeals.api")),
]
