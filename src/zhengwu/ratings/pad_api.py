"""The window rating pad's API, included under /api/: what the pad shows now, and its rating of a
visit. Authenticated by the device token — ``Authorization: Pad <token>`` (or the pad's cookie) —
never by a staff login. An unknown or revoked token is 403 and sees no visit; a visit of another
window 403; a second rating of a visit or one too old 409; a level outside 1–5 422."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.urls import path
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.catalog.api import ErrorSerializer
from zhengwu.core.errors import NotAllowed

from . import pads
from .models import ONSITE_DIMENSIONS, RatingPad
from .pad_views import token_of
from .serializers import LEVEL_HELP, RatingSerializer


class PadAuthentication(BaseAuthentication):
    """The pad behind ``Authorization: Pad <token>`` or the pad cookie: ``request.auth``."""

    def authenticate(self, request: Request) -> tuple[Any, RatingPad] | None:
        token = token_of(request._request)
        if not token:
            return None
        return AnonymousUser(), pads.pad_for_token(token)

    def authenticate_header(self, request: Request) -> str:
        return "Pad"


class HasPad(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, RatingPad):
            raise NotAllowed(pads.BAD_TOKEN)
        return True


def _pad(request: Request) -> RatingPad:
    pad = request.auth
    if not isinstance(pad, RatingPad):
        raise NotAllowed(pads.BAD_TOKEN)
    return pad


class PadTokenScheme(OpenApiAuthenticationExtension):
    target_class = "zhengwu.ratings.pad_api.PadAuthentication"
    name = "padToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "评价器令牌：Authorization: Pad <令牌>（管理员签发，只显示一次）",
        }


class PadVisitSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="办件编号")
    kind = serializers.CharField(help_text="queue 叫号服务，intake 收件受理，delivery 出件，other 其他")
    kind_label = serializers.CharField(source="get_kind_display")
    service = serializers.CharField(help_text="服务内容")
    staff = serializers.SerializerMethodField(help_text="工作人员姓名")
    finished_at = serializers.DateTimeField()

    def get_staff(self, visit: Any) -> str:
        return visit.staff.display_name if visit.staff else ""


class PadDaySerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    served = serializers.IntegerField(help_text="服务人次")
    count = serializers.IntegerField(help_text="评价数")
    good_rate = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="好评率（%）"
    )


class PadCurrentSerializer(serializers.Serializer[Any]):
    window = serializers.CharField(help_text="窗口")
    visit = PadVisitSerializer(allow_null=True, help_text="待评价的服务；没有时为null")
    today = PadDaySerializer(help_text="本窗口当日情况")


class PadRatingInput(serializers.Serializer[Any]):
    visit = serializers.IntegerField(help_text="窗口服务ID（/api/pad/current/ 的 visit.id）")
    level = serializers.JSONField(help_text=LEVEL_HELP)
    scores = serializers.JSONField(
        required=False,
        help_text="现场服务分项评价（可选），维度代码 → 满意度代码（1–5）："
        + "、".join(f"{k} {v}" for k, v in ONSITE_DIMENSIONS.items()),
    )


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="请求格式错误（缺少服务ID等）"),
    403: OpenApiResponse(ErrorSerializer, description="评价器令牌无效或已吊销；该服务不属于本窗口"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到该窗口服务"),
    409: OpenApiResponse(ErrorSerializer, description="该服务已评价或已超过可评价时间"),
    422: OpenApiResponse(ErrorSerializer, description="满意度或分项评价不在1–5"),
}


class PadCurrentView(APIView):
    authentication_classes = [PadAuthentication]
    permission_classes = [HasPad]

    @extend_schema(
        summary="评价器当前待评价的服务",
        description="本窗口最近一次办结、尚未评价且在可评价时间内的服务；没有时 visit 为 null，"
        "并给出本窗口当日服务人次、评价数和好评率。",
        responses={200: PadCurrentSerializer, 403: ERRORS[403]},
        operation_id="rating_pad_current",
    )
    def get(self, request: Request) -> Response:
        pad = _pad(request)
        today = timezone.localdate()
        figures = pads.window_day_figures(pad.window, today)
        data = {
            "window": str(pad.window),
            "visit": pads.current_visit(pad),
            "today": {
                "day": today,
                "served": pads.window_day_served(pad.window, today),
                "count": figures.count,
                "good_rate": figures.good_rate,
            },
        }
        return Response(PadCurrentSerializer(data).data)


class PadRatingView(APIView):
    authentication_classes = [PadAuthentication]
    permission_classes = [HasPad]

    @extend_schema(
        summary="在评价器上评价一次窗口服务（一次一评）",
        description="每次服务只能评价一次；不满意、非常不满意由办理部门回访核实并整改。",
        request=PadRatingInput,
        responses={201: RatingSerializer, **ERRORS},
        operation_id="rating_pad_rate",
    )
    def post(self, request: Request) -> Response:
        given = PadRatingInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        rating = pads.rate_on_pad(_pad(request), data["visit"], data["level"], data.get("scores"))
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("pad/current/", PadCurrentView.as_view(), name="rating-pad-current"),
    path("pad/ratings/", PadRatingView.as_view(), name="rating-pad-rate"),
]
