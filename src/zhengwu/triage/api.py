"""REST endpoints of this app, included under /api/ by zhengwu.api.urls."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengwu.core.errors import DomainError

from . import services
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


class SuggestionOut(serializers.Serializer[Any]):
    category = serializers.CharField()
    probability = serializers.FloatField(allow_null=True, help_text="校准后的概率；规则匹配时为 null")
    department = DepartmentRef(allow_null=True)
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
            "根据诉求标题和内容给出最可能的三个分类、校准概率、承办单位和依据（权重最大的短语）。"
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
                    }
                    for s in result.suggestions
                ],
            }
        )


urlpatterns = [path("triage/suggest", SuggestView.as_view(), name="triage-suggest")]
