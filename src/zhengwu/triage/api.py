"""REST endpoints of this app, included under /api/ by zhengwu.api.urls."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.core.errors import DomainError

from . import selectors, services
from .models import HotIssue
from .text import MAX_TEXT_CHARS

# A request body larger than this cannot hold two fields of MAX_TEXT_CHARS characters (at most
# 3 bytes each in UTF-8, 6 when JSON-escaped) and is refused before it is parsed.
MAX_REQUEST_BYTES = 2 * 6 * MAX_TEXT_CHARS + 4096


class PayloadTooLarge(DomainError):
    status = 413


class CanUseTriage(permissions.BasePermission):
    message = "您没有使用智能研判的权限"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("triage.use_triage"))


class SuggestRequest(serializers.Serializer[Any]):
    # Lengths and language are checked by the service (one Chinese message naming the field),
    # not here, so that the API and the appeals intake refuse the same text the same way.
    title = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, label="标题"
    )
    body = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, label="诉求内容"
    )


class DepartmentRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EvidenceOut(serializers.Serializer[Any]):
    phrase = serializers.CharField(help_text="文本中的短语")
    weight = serializers.FloatField(help_text="对该分类的贡献（TF-IDF × 模型权重）")
    features = serializers.ListField(
        child=serializers.CharField(), help_text="构成短语的模型特征（字二元组）"
    )


class SecondLevelOut(serializers.Serializer[Any]):
    category = serializers.CharField(help_text="二级分类名称")
    category_id = serializers.IntegerField(help_text="二级分类编号（研判、采纳时提交）")
    probability = serializers.FloatField(
        allow_null=True, help_text="一级概率 × 该一级下的二级概率；规则匹配时为 null"
    )
    conditional_probability = serializers.FloatField(help_text="在该一级分类下属于此二级的概率")
    department = DepartmentRef(
        allow_null=True, help_text="二级分类的默认承办部门，无则一级的，再无则派单目录规则的"
    )
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="依据：文中提到的分类名称或关键词、与派单员以往决定相近的短语",
    )
    learned = serializers.BooleanField(help_text="是否由派单员以往的二级分类决定学得；否则按名称和关键词匹配")


class SuggestionOut(serializers.Serializer[Any]):
    category = serializers.CharField()
    probability = serializers.FloatField(allow_null=True, help_text="校准后的概率；规则匹配时为 null")
    department = DepartmentRef(
        allow_null=True, help_text="主办单位：有二级分类时为二级的承办部门，否则为一级分类的默认承办部门"
    )
    second_level = SecondLevelOut(allow_null=True, help_text="该一级分类下最可能的二级分类；无依据时为 null")
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="依据：权重最大的短语，或匹配的规则"
    )
    evidence = EvidenceOut(many=True)


class SuggestResponse(serializers.Serializer[Any]):
    source = serializers.ChoiceField(choices=["model", "rules"])  # type: ignore[assignment]
    model_version = serializers.IntegerField(allow_null=True)
    notice = serializers.CharField(help_text="改用规则的原因（模型缺失或损坏时），模型作答时为空")
    suggestions = SuggestionOut(many=True)


ErrorResponse = inline_serializer(
    "TriageError",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


class SuggestView(APIView):
    """研判建议: the three most likely categories of an appeal, with probabilities, the handling
    department and the reasons."""

    permission_classes = [permissions.IsAuthenticated, CanUseTriage]

    @extend_schema(
        operation_id="triage_suggest",
        summary="研判分类建议",
        description=(
            "根据诉求标题和内容给出最可能的三个一级分类、校准概率、承办单位和依据（权重最大的短语），"
            "每个一级分类附最可能的二级分类（second_level：概率为一级概率乘以二级条件概率、依据和承办部门）。"
            "尚无可用模型（未训练、模型文件缺失或损坏）时按派单目录关键词规则给出建议，并在 notice 中说明。"
            f"标题和内容各不超过{MAX_TEXT_CHARS}字，且须包含中文。"
        ),
        request=SuggestRequest,
        responses={200: SuggestResponse, 400: ErrorResponse, 403: ErrorResponse, 413: ErrorResponse},
        examples=[
            OpenApiExample(
                "诉求",
                request_only=True,
                value={"title": "A3区某小区物业乱收停车费", "body": "小区物业未经业主同意向业主收取停车费。"},
            )
        ],
        tags=["triage"],
    )
    def post(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
            raise PayloadTooLarge(f"请求内容过大，诉求标题和内容各不能超过{MAX_TEXT_CHARS}字", field="body")
        data = SuggestRequest(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.suggest(title=data.validated_data["title"], body=data.validated_data["body"])
        return Response(
            {
                "source": result.source,
                "model_version": result.model_version,
                "notice": result.notice,
                "suggestions": [
                    {
                        "category": s.category,
                        "probability": s.probability,
                        "department": {"id": s.department.pk, "name": s.department.name}
                        if s.department
                        else None,
                        "reasons": s.reasons,
                        "evidence": s.evidence,
                        "second_level": _second_level(s.second),
                    }
                    for s in result.suggestions
                ],
            }
        )


def _second_level(second: services.SecondLevel | None) -> dict[str, Any] | None:
    if second is None:
        return None
    return {
        "category": second.category,
        "category_id": second.category_id,
        "probability": second.probability,
        "conditional_probability": second.conditional,
        "department": {"id": second.department.pk, "name": second.department.name}
        if second.department
        else None,
        "reasons": second.reasons,
        "learned": second.learned,
    }


# -- 热点问题 (未诉先办) ------------------------------------------------------------------------------


class CanViewHotIssues(permissions.BasePermission):
    message = "您没有查看热点问题的权限"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(selectors.P_VIEW))


class CanActOnHotIssues(permissions.BasePermission):
    message = "您没有生成主动治理任务的权限"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(services.P_CREATE_TASK))


class TaskRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="工单号")
    state = serializers.CharField()


class HotIssueOut(serializers.ModelSerializer[HotIssue]):
    # A plain string in the schema: an enum named "status" would collide with the catalogue's.
    status = serializers.CharField(help_text="pending 待处置 / tasked 已生成任务 / dismissed 已忽略")
    status_label = serializers.CharField(source="get_status_display")
    places = serializers.ListField(child=serializers.CharField(), help_text="问题涉及的地点，按出现次数")
    components = serializers.DictField(
        child=serializers.FloatField(), help_text="热度分项得分（0–1）：people、count、support、concentration"
    )
    task = serializers.SerializerMethodField(help_text="主动治理任务（诉求），未生成时为 null")

    class Meta:
        model = HotIssue
        fields = [
            "id",
            "period_start",
            "period_end",
            "rank",
            "heat",
            "description",
            "place",
            "places",
            "appeal_count",
            "people",
            "support",
            "concentration",
            "components",
            "first_at",
            "last_at",
            "computed_at",
            "status",
            "status_label",
            "task",
            "tasked_at",
            "dismiss_reason",
        ]

    @extend_schema_field(TaskRef(allow_null=True))
    def get_task(self, issue: HotIssue) -> dict[str, Any] | None:
        appeal = issue.task
        return {"id": appeal.pk, "number": appeal.number, "state": appeal.state} if appeal else None


class MemberOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()


class HotIssueDetailOut(HotIssueOut):
    members = serializers.SerializerMethodField()
    hidden_members = serializers.SerializerMethodField(help_text="无权查看的相关诉求数")

    class Meta(HotIssueOut.Meta):
        fields = [*HotIssueOut.Meta.fields, "members", "hidden_members"]

    def _members(self, issue: HotIssue) -> tuple[list[Any], int]:
        if "members" not in self.context:
            self.context["members"] = selectors.member_appeals(self.context["request"].user, issue)
        members: tuple[list[Any], int] = self.context["members"]
        return members

    @extend_schema_field(MemberOut(many=True))
    def get_members(self, issue: HotIssue) -> list[dict[str, Any]]:
        return [
            {"id": a.pk, "number": a.number, "title": a.title, "created_at": a.created_at}
            for a in self._members(issue)[0]
        ]

    @extend_schema_field(serializers.IntegerField())
    def get_hidden_members(self, issue: HotIssue) -> int:
        return self._members(issue)[1]


class HotIssueFilters(serializers.Serializer[Any]):
    period = serializers.ChoiceField(choices=sorted(selectors.PRESETS), required=False, label="统计时段")
    start = serializers.DateField(required=False, label="起始日期")
    end = serializers.DateField(required=False, label="截止日期")


class TaskRequest(serializers.Serializer[Any]):
    department = serializers.IntegerField(label="承办部门", help_text="主办的部门编号")
    category = serializers.IntegerField(label="诉求分类", help_text="启用的诉求分类编号")
    note = serializers.CharField(
        label="处置要求", required=False, allow_blank=True, default="", max_length=services.MAX_NOTE_CHARS
    )


class TaskCreated(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="热点问题编号")
    status = serializers.CharField()
    task = TaskRef()


class HotIssuePages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _hot_issue(request: Request, pk: int) -> HotIssue:
    try:
        return selectors.hot_issue_for(request.user, pk)
    except Http404 as exc:
        raise NotFound("没有找到该热点问题（可能已重新计算）") from exc


class HotIssueListView(APIView):
    """热点问题列表: one period's stored issues, hottest first."""

    permission_classes = [permissions.IsAuthenticated, CanViewHotIssues]

    @extend_schema(
        operation_id="hot_issues_list",
        summary="热点问题列表",
        description=(
            "某一统计时段已计算的热点问题，按热度指数排名。period 为 7、30 或 90（近N天，含今天）；"
            "或同时给出 start 和 end（自定义时段）；都不给为近30天。近N天当天尚未计算时返回最近一次同长度时段的结果，"
            "以 period_start / period_end 为准。"
        ),
        parameters=[
            OpenApiParameter("period", str, enum=sorted(selectors.PRESETS), description="近N天"),
            OpenApiParameter("start", str, description="起始日期 YYYY-MM-DD"),
            OpenApiParameter("end", str, description="截止日期 YYYY-MM-DD"),
        ],
        responses={200: HotIssueOut(many=True), 400: ErrorResponse, 403: ErrorResponse},
        tags=["triage"],
    )
    def get(self, request: Request) -> Response:
        given = HotIssueFilters(data=request.query_params)
        given.is_valid(raise_exception=True)
        f = given.validated_data
        if f.get("period"):
            start, end = selectors.preset_period(selectors.PRESETS[f["period"]])
            preset = True
        elif f.get("start") or f.get("end"):
            start, end = services.check_period(f.get("start"), f.get("end"))
            preset = False
        else:
            start, end = selectors.preset_period(selectors.PRESETS[selectors.DEFAULT_PRESET])
            preset = True
        snapshot = selectors.snapshot_for(request.user, start, end, allow_same_length=preset)
        paginator = HotIssuePages()
        page = paginator.paginate_queryset(
            selectors.period_issues(request.user, snapshot), request, view=self
        )
        return paginator.get_paginated_response(HotIssueOut(page, many=True).data)


class HotIssueDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanViewHotIssues]

    @extend_schema(
        operation_id="hot_issues_retrieve",
        summary="热点问题详情",
        description="热度指数及其分项、相关诉求（仅列出本人有权查看的）和主动治理任务。",
        responses={200: HotIssueDetailOut, 403: ErrorResponse, 404: ErrorResponse},
        tags=["triage"],
    )
    def get(self, request: Request, pk: int) -> Response:
        issue = _hot_issue(request, pk)
        return Response(HotIssueDetailOut(issue, context={"request": request}).data)


class HotIssueTaskView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanViewHotIssues, CanActOnHotIssues]

    @extend_schema(
        operation_id="hot_issues_task",
        summary="生成主动治理任务",
        description=(
            "以“主动治理（未诉先办）”渠道登记一件诉求，研判为所选分类（分办转办）并派至所选部门主办。"
            "同一热点问题只能生成一次（重复为409）；部门不存在或已停用、分类不存在或已停用为400。"
        ),
        request=TaskRequest,
        responses={
            201: TaskCreated,
            400: ErrorResponse,
            403: ErrorResponse,
            404: ErrorResponse,
            409: ErrorResponse,
        },
        examples=[
            OpenApiExample(
                "生成任务",
                request_only=True,
                value={"department": 3, "category": 12, "note": "请于5个工作日内排查处置"},
            )
        ],
        tags=["triage"],
    )
    def post(self, request: Request, pk: int) -> Response:
        issue = _hot_issue(request, pk)
        given = TaskRequest(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        issue = services.create_proactive_task(
            issue=issue,
            department=data["department"],
            category=data["category"],
            note=data["note"],
            by=request.user,
        )
        appeal = issue.task
        assert appeal is not None
        return Response(
            {
                "id": issue.pk,
                "status": issue.status,
                "task": {"id": appeal.pk, "number": appeal.number, "state": appeal.state},
            },
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [
    path("triage/suggest", SuggestView.as_view(), name="triage-suggest"),
    path("hot-issues/", HotIssueListView.as_view(), name="hot-issue-list"),
    path("hot-issues/<int:pk>/", HotIssueDetailView.as_view(), name="hot-issue-detail"),
    path("hot-issues/<int:pk>/task", HotIssueTaskView.as_view(), name="hot-issue-task"),
]
