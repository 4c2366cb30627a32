"""好差评 figures and the GB/T 39046 表9 export as REST endpoints, included under /api/.

``GET /api/ratings/figures/?by=department|window|item&period=2026-06``: the public 评价公示
figures (no login, no personal data). ``GET /api/ratings/export/?period=…``: the period's
ratings as GB/T 39046 表9 records for staff — their own department's, all for users who see all
departments; another department asked for is 404. A bad period or dimension is 400."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.appeals.api import AUTHENTICATION
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.core.errors import InvalidInput

from . import standard
from .figures import dimension_of, figures_by, parse_period, total
from .services import Figures
from .staff_api import IsRatingStaff
from .views import visible_ratings


class RatingFiguresSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="评价数（不含申诉成立不计入统计的评价）")
    good = serializers.IntegerField(help_text="好评数（非常满意、满意、基本满意）")
    bad = serializers.IntegerField(help_text="差评数（不满意、非常不满意）")
    bad_rectified = serializers.IntegerField(help_text="已整改办结的差评数")
    good_rate = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="好评率（%），没有评价时为 null"
    )
    rectified_rate = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="差评整改率（%），没有差评时为 null"
    )


class RatingFigureRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(help_text="部门、窗口或事项名称")
    figures = RatingFiguresSerializer()


class RatingFiguresResponseSerializer(serializers.Serializer[Any]):
    by = serializers.ChoiceField(choices=["department", "window", "item"])
    period = serializers.CharField(help_text="期间，如 2026-06、2026-Q2、2026")
    period_label = serializers.CharField()
    empty = serializers.BooleanField(help_text="该期间暂无评价")
    rows = RatingFigureRowSerializer(many=True)
    total = RatingFiguresSerializer()


class StandardExportSerializer(serializers.Serializer[Any]):
    standard = serializers.CharField()
    period = serializers.CharField()
    field_names = serializers.DictField(child=serializers.CharField(), help_text="字段键 → 标准数据项名称")
    count = serializers.IntegerField()
    truncated = serializers.BooleanField()
    records = serializers.ListField(child=serializers.DictField())


PERIOD = OpenApiParameter("period", str, description="月份 2026-06、季度 2026-Q2 或年份 2026；不填为本月")
BAD = OpenApiResponse(ErrorSerializer, description="期间或统计维度有误")


def _figures(f: Figures) -> dict[str, Any]:
    return {
        "count": f.count,
        "good": f.good,
        "bad": f.bad,
        "bad_rectified": f.bad_rectified,
        "good_rate": f.good_rate,
        "rectified_rate": f.rectified_rate,
    }


@extend_schema(
    summary="评价公示",
    description="按部门、窗口或事项统计某期间的评价数、好评率、差评数和整改率（公开，无个人信息）。",
    parameters=[
        OpenApiParameter("by", str, enum=["department", "window", "item"], description="统计维度，默认部门"),
        PERIOD,
    ],
    responses={200: RatingFiguresResponseSerializer, 400: BAD},
)
class PublicFigures(APIView):
    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        dimension = dimension_of(request.query_params.get("by"))
        period = parse_period(request.query_params.get("period"))
        rows = figures_by(dimension, period)
        return Response(
            {
                "by": dimension.key,
                "period": period.value,
                "period_label": period.label,
                "empty": not rows,
                "rows": [{"id": r.pk, "name": r.name, "figures": _figures(r.figures)} for r in rows],
                "total": _figures(total(rows)),
            }
        )


@extend_schema(
    summary="好差评数据导出（GB/T 39046 表9）",
    description="某期间的评价信息，按 GB/T 39046 表9 的数据项和代码；本部门的（全市角色：全部，可按部门筛选）。",
    parameters=[PERIOD, OpenApiParameter("department", int, description="部门编号（全市角色）")],
    responses={
        200: StandardExportSerializer,
        400: BAD,
        401: OpenApiResponse(ErrorSerializer, description="未登录"),
        403: OpenApiResponse(ErrorSerializer, description="不是部门工作人员"),
        404: OpenApiResponse(ErrorSerializer, description="没有找到该部门（或无权查看）"),
    },
)
class StandardExport(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsRatingStaff]

    def get(self, request: Request) -> Response:
        period = parse_period(request.query_params.get("period"))
        raw = (request.query_params.get("department") or "").strip()
        department = None
        if raw:
            if not raw.isdigit() or len(raw) > 12:
                raise InvalidInput("部门参数应为数字编号", field="department")
            department = int(raw)
            user: Any = request.user
            if not user.sees_all_departments and department != user.department_id:
                raise NotFound("没有找到该部门的评价")
        qs = standard.ratings_for_export(visible_ratings(request.user), period, department=department)
        return Response(standard.as_json(qs, period))


urlpatterns: list = [
    path("ratings/figures/", PublicFigures.as_view(), name="rating-figures"),
    path("ratings/export/", StandardExport.as_view(), name="rating-export"),
]
