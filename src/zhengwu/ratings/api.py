"""好差评 REST endpoints, included under /api/ by zhengwu.api.urls: the applicant rates a finished
application or 一件事办件 of their own (一事一评 online) and reads back their own ratings.

Ownership is the 我的办件 pages' rule (``owned_by`` / ``owned_bundles``, applicants' accounts
only): anything else is 404. The service decides the rest — not finished or a second rating of the
same round 409, a level outside 1–5 400 — each with a Chinese message and nothing saved."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.appeals.api import AUTHENTICATION
from zhengwu.applications.api import IsPerson
from zhengwu.applications.bundle_selectors import owned_bundles
from zhengwu.applications.selectors import owned_by
from zhengwu.catalog.api import ErrorSerializer

from . import services
from .models import Rating
from .public_views import channel_of, rater_key
from .serializers import RatingInput, RatingSerializer

NOT_FOUND = {"application": "没有找到该办件", "bundle": "没有找到该一件事办件"}

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入错误（满意度不在1–5、没有该评价维度等），未保存"),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="接口客户端不能评价"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到该办件（或不是本人的办件）"),
    409: OpenApiResponse(
        ErrorSerializer, description="尚未办结、本轮已评价过、尚未评价不能追评或已超过追评期限"
    ),
}


def _applicant(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and not user.is_staff)


def _own_matter(user: Any, kind: str, number: str) -> Any:
    qs: QuerySet[Any] = owned_by(user) if kind == "application" else owned_bundles(user)
    found = qs.filter(number=number.strip().upper()).first() if _applicant(user) else None
    if found is None:
        raise NotFound(NOT_FOUND[kind])
    return found


class RatingCursor(CursorPagination):
    ordering = ("-rated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class RatingCreateView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]

    @extend_schema(
        summary="评价本人已办结的办件或一件事办件（一事一评）",
        description="首次评价为第1次；follow_up 为追评，在追评期限内作为新一轮评价。"
        "不满意、非常不满意将由办理部门在1个工作日内回访核实。",
        request=RatingInput,
        responses={201: RatingSerializer, **ERRORS},
        operation_id="ratings_create",
    )
    def post(self, request: Request) -> Response:
        given = RatingInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        matter = _own_matter(request.user, data["matter"], data["number"])
        rating = services.rate(
            matter=matter,
            rater_key=rater_key(request.user),
            rater_user=request.user,
            rater_name=matter.applicant_name[:50],
            real_name=True,
            channel=channel_of(request),
            level=data["level"],
            text=data["text"],
            scores=data["scores"],
            follow_up=data["follow_up"],
        )
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="本人给出的评价",
        responses={200: RatingSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
        operation_id="ratings_mine",
    )
)
class MyRatingsView(generics.ListAPIView[Rating]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsPerson]
    serializer_class = RatingSerializer
    pagination_class = RatingCursor

    def get_queryset(self) -> QuerySet[Rating]:
        return Rating.objects.filter(rater_key=rater_key(self.request.user)).select_related("department")


urlpatterns = [
    path("ratings/", RatingCreateView.as_view(), name="rating-create"),
    path("ratings/mine/", MyRatingsView.as_view(), name="rating-mine"),
]
