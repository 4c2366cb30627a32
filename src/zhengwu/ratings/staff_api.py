"""REST endpoints of the 差评 loop and 申诉复核 for staff, included under /api/ by zhengwu.api.urls.

``/api/rectifications/…``: the department's rectification cases (city-wide roles: all) and each
step through its service; ``/api/ratings/{id}/contest/``: a department contests a rating of its
own; ``/api/rating-contests/…``: the supervisor's pending contests and the decision. What a user
may not see — another department's case or rating — is 404, never 403; a service's refusal keeps
its status (400 input, 403 not allowed, 409 state) with a Chinese message naming the field."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.appeals.api import AUTHENTICATION
from zhengwu.casework.deadlines import Lights
from zhengwu.catalog.api import ErrorSerializer
from zhengwu.core.errors import InvalidInput
from zhengwu.licences.api import IsPerson

from . import services, urging
from .models import ContestState, RatingContest, Rectification, RectificationState
from .staff_serializers import (
    ContestSerializer,
    RatingContestDecideInput,
    RatingContestInput,
    RectificationCloseInput,
    RectificationDoneInput,
    RectificationResolveInput,
    RectificationSerializer,
    RectificationUrgeInput,
    RectificationVerifyInput,
)
from .views import (
    may_decide_contests,
    may_handle_ratings,
    run_step,
    search_cases,
    visible_cases,
    visible_ratings,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入错误，未保存"),
    401: OpenApiResponse(ErrorSerializer, description="未登录"),
    403: OpenApiResponse(ErrorSerializer, description="角色或部门不允许此操作"),
    404: OpenApiResponse(ErrorSerializer, description="没有找到（或无权查看）"),
    409: OpenApiResponse(ErrorSerializer, description="当前状态不允许此操作"),
}
READ_ERRORS = {k: ERRORS[k] for k in (401, 403, 404)}


class IsRatingStaff(IsPerson):
    message = "只有部门工作人员可以处理差评整改"

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and may_handle_ratings(request.user)


class IsContestDecider(IsPerson):
    message = "只有督办人员可以复核评价申诉"

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and may_decide_contests(request.user)


def _case(request: Request, pk: int) -> Rectification:
    found = visible_cases(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound("没有找到该差评整改")
    return found


@extend_schema_view(
    get=extend_schema(
        summary="差评整改",
        description="本部门的差评整改（全市角色看到全部），按回访核实时限排序，分页。",
        parameters=[
            OpenApiParameter("q", str, description="办件编号"),
            OpenApiParameter("state", str, enum=RectificationState.values, description="状态"),
        ],
        responses={200: RectificationSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    )
)
class RectificationList(generics.ListAPIView[Rectification]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsRatingStaff]
    serializer_class = RectificationSerializer

    def get_queryset(self) -> QuerySet[Rectification]:
        params = self.request.query_params
        state = params.get("state", "")
        if state and state not in RectificationState.values:
            raise InvalidInput("状态应为 " + "、".join(RectificationState.values) + " 之一", field="state")
        return search_cases(visible_cases(self.request.user), params.get("q", ""), state)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "lights": Lights()}


@extend_schema(summary="差评整改详情", responses={200: RectificationSerializer, **READ_ERRORS})
class RectificationDetail(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsRatingStaff]

    def get(self, request: Request, pk: int) -> Response:
        return Response(RectificationSerializer(_case(request, pk)).data)


class _Step(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsRatingStaff]
    step = ""
    input_class: type[serializers.Serializer[Any]]

    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        given = self.input_class(data=request.data)
        given.is_valid(raise_exception=True)
        case = run_step(self.step, case, request.user, dict(given.validated_data))
        return Response(RectificationSerializer(case).data)


@extend_schema(
    summary="回访核实",
    description="联系评价人、记录核实情况；之后确定处理方式。",
    request=RectificationVerifyInput,
    responses={200: RectificationSerializer, **ERRORS},
)
class RectificationVerify(_Step):
    step, input_class = "verify", RectificationVerifyInput


@extend_schema(
    summary="确定处理方式",
    description="立行立改（附整改佐证，转待反馈）、限期整改（整改措施，按工作日计整改时限）或解释说明（附说明，转待反馈）。",
    request=RectificationResolveInput,
    responses={200: RectificationSerializer, **ERRORS},
)
class RectificationResolve(_Step):
    step, input_class = "resolve", RectificationResolveInput


@extend_schema(
    summary="限期整改完成",
    description="提交整改佐证，转待反馈。",
    request=RectificationDoneInput,
    responses={200: RectificationSerializer, **ERRORS},
)
class RectificationRectified(_Step):
    step, input_class = "rectified", RectificationDoneInput


@extend_schema(
    summary="反馈并办结",
    description="向评价人反馈整改情况并办结（评价人可追评）。没有整改佐证不能办结。",
    request=RectificationCloseInput,
    responses={200: RectificationSerializer, **ERRORS},
)
class RectificationClose(_Step):
    step, input_class = "close", RectificationCloseInput


@extend_schema(
    summary="催办差评整改",
    description="督办员催办未办结的差评整改，写明要求；亮黄灯、红灯时系统也会定时催办。",
    request=RectificationUrgeInput,
    responses={200: RectificationSerializer, **ERRORS},
)
class RectificationUrgeView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsRatingStaff]

    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        given = RectificationUrgeInput(data=request.data)
        given.is_valid(raise_exception=True)
        urging.urge(case=case, by=request.user, note=given.validated_data["note"])
        return Response(RectificationSerializer(case).data)


@extend_schema(
    summary="对评价提出申诉",
    description="部门对本单位收到的恶意或错误评价附理由和证据申诉，由督办人员复核。一条评价同时只有一个待复核的申诉。",
    request=RatingContestInput,
    responses={201: ContestSerializer, **ERRORS},
)
class RatingContestCreate(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsRatingStaff]

    def post(self, request: Request, pk: int) -> Response:
        rating = visible_ratings(request.user).filter(pk=pk).first()
        if rating is None:
            raise NotFound("没有找到该评价")
        given = RatingContestInput(data=request.data)
        given.is_valid(raise_exception=True)
        made = services.contest(rating=rating, by=request.user, **given.validated_data)
        return Response(ContestSerializer(made).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="评价申诉",
        description="督办人员复核的评价申诉，默认待复核的，按申诉时间排序，分页。",
        parameters=[
            OpenApiParameter("state", str, enum=ContestState.values, description="状态，默认 pending 待复核")
        ],
        responses={200: ContestSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
    )
)
class RatingContestList(generics.ListAPIView[RatingContest]):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsContestDecider]
    serializer_class = ContestSerializer

    def get_queryset(self) -> QuerySet[RatingContest]:
        state = self.request.query_params.get("state", "") or ContestState.PENDING
        if state not in ContestState.values:
            raise InvalidInput("状态应为 " + "、".join(ContestState.values) + " 之一", field="state")
        return (
            RatingContest.objects.filter(state=state)
            .select_related("rating", "rating__department", "department")
            .order_by("created_at", "id")
        )


@extend_schema(
    summary="复核评价申诉",
    description="申诉成立：该评价不计入统计，但保留记录；申诉不成立：评价照常计入。",
    request=RatingContestDecideInput,
    responses={200: ContestSerializer, **ERRORS},
)
class RatingContestDecide(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsContestDecider]

    def post(self, request: Request, pk: int) -> Response:
        found = RatingContest.objects.filter(pk=pk).first()
        if found is None:
            raise NotFound("没有找到该申诉")
        given = RatingContestDecideInput(data=request.data)
        given.is_valid(raise_exception=True)
        decided = services.decide_contest(contest=found, by=request.user, **given.validated_data)
        decided.rating.refresh_from_db()  # the service marks the rating excluded by an update
        return Response(ContestSerializer(decided).data)


urlpatterns = [
    path("rectifications/", RectificationList.as_view(), name="api-rectification-list"),
    path("rectifications/<int:pk>/", RectificationDetail.as_view(), name="api-rectification-detail"),
    path("rectifications/<int:pk>/verify/", RectificationVerify.as_view(), name="api-rectification-verify"),
    path(
        "rectifications/<int:pk>/resolve/", RectificationResolve.as_view(), name="api-rectification-resolve"
    ),
    path(
        "rectifications/<int:pk>/rectified/",
        RectificationRectified.as_view(),
        name="api-rectification-rectified",
    ),
    path("rectifications/<int:pk>/close/", RectificationClose.as_view(), name="api-rectification-close"),
    path("rectifications/<int:pk>/urge/", RectificationUrgeView.as_view(), name="api-rectification-urge"),
    path("ratings/<int:pk>/contest/", RatingContestCreate.as_view(), name="api-rating-contest"),
    path("rating-contests/", RatingContestList.as_view(), name="api-rating-contest-list"),
    path("rating-contests/<int:pk>/decide/", RatingContestDecide.as_view(), name="api-rating-contest-decide"),
]
