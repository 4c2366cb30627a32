"""/stats/: the statistics pages. Each group of pages keeps its routes in its own module."""

from __future__ import annotations

from . import board_urls, dashboard_urls, ranking_urls, report_urls

app_name = "analytics"

urlpatterns = [
    *dashboard_urls.urlpatterns,  # "", window/, records/, public/, exports
    *ranking_urls.urlpatterns,  # rankings/
    *report_urls.urlpatterns,  # reports/
    *board_urls.urlpatterns,  # board/ (问题清零)
]
