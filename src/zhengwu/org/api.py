"""Read endpoints for regions and departments."""

from __future__ import annotations

from rest_framework import filters, serializers, viewsets
from rest_framework.routers import DefaultRouter

from .models import Department, Region


class RegionSerializer(serializers.ModelSerializer[Region]):
    level_name = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "level_name", "parent"]


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "uscc", "region", "region_name", "phone", "address"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet[Region]):
    """行政区划 (levels 3 市 – 6 村)."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filter_backends = [filters.SearchFilter]
    search_fields = ["name", "code"]

    def get_queryset(self):
        qs = super().get_queryset()
        if level := self.request.query_params.get("level"):
            qs = qs.filter(level=level) if level.isdigit() else qs.none()
        if parent := self.request.query_params.get("parent"):
            qs = qs.filter(parent_id=int(parent)) if parent.isdigit() else qs.none()
        return qs


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet[Department]):
    """部门."""

    queryset = Department.objects.filter(is_active=True).select_related("region")
    serializer_class = DepartmentSerializer
    filter_backends = [filters.SearchFilter]
    search_fields = ["name", "short_name", "uscc"]


router = DefaultRouter()
router.register("regions", RegionViewSet)
router.register("departments", DepartmentViewSet)
urlpatterns = router.urls
