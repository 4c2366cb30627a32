"""REST endpoints of the catalogue, included under /api/ by zhengwu.api.urls.

Reads are open (drafts only to staff who may view the catalogue); writes need the model's add
permission and go through the services, so malformed input is answered 400 by the serializers
and a broken rule 422 by the services, with nothing saved."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from zhengwu.org.models import Department

from . import excel, selectors, services
from .models import Bundle, ItemMaterial, LifeEvent, ServiceItem, VersionStatus

# ---------------------------------------------------------------------------------------------
# Serializers: output


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error: a Chinese summary and the messages per field."""

    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # a field named like Serializer.errors
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class NamedRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ItemMaterialSerializer(serializers.ModelSerializer[ItemMaterial]):
    material_id = serializers.IntegerField(source="material.id", read_only=True)
    name = serializers.CharField(source="material.name", read_only=True)
    issuing_body = serializers.CharField(source="material.issuing_body", read_only=True)
    kind = serializers.CharField(source="material.kind", read_only=True)
    licence_type = serializers.SerializerMethodField(help_text="可替代的电子证照类型名称；空：无")
    licence_type_code = serializers.SerializerMethodField(help_text="证照类型代码；空：无")

    class Meta:
        model = ItemMaterial
        fields = [
            "material_id",
            "name",
            "issuing_body",
            "kind",
            "licence_type",
            "licence_type_code",
            "originals",
            "copies",
            "required",
            "critical",
            "note",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_licence_type(self, use: ItemMaterial) -> str:
        licence_type = use.material.licence_type
        return licence_type.name if licence_type else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_licence_type_code(self, use: ItemMaterial) -> str:
        licence_type = use.material.licence_type
        return licence_type.code if licence_type else ""


class ServiceItemListSerializer(serializers.ModelSerializer[ServiceItem]):
    item_type_name = serializers.CharField(source="get_item_type_display", read_only=True)
    case_type_name = serializers.CharField(source="get_case_type_display", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    department = NamedRefSerializer(read_only=True)

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "name",
            "implementation_code",
            "basic_code",
            "item_type",
            "item_type_name",
            "department",
            "level",
            "service_objects",
            "legal_limit_days",
            "promised_limit_days",
            "case_type",
            "case_type_name",
            "trips",
            "online_depth",
            "charges_fee",
            "version",
            "status",
            "status_name",
            "valid_from",
            "valid_until",
        ]
        read_only_fields = fields


class FormFieldSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label


class ServiceItemDetailSerializer(ServiceItemListSerializer):
    materials = ItemMaterialSerializer(source="item_materials", many=True, read_only=True)
    life_events = NamedRefSerializer(many=True, read_only=True)
    form_fields = FormFieldSerializer(many=True, read_only=True)
    process_steps = serializers.ListField(child=serializers.CharField(), read_only=True)
    result_licence_type = serializers.SerializerMethodField(help_text="办结后制发的电子证照类型名称；空：无")
    result_licence_type_code = serializers.SerializerMethodField(help_text="证照类型代码；空：无")

    class Meta(ServiceItemListSerializer.Meta):
        fields = [
            *ServiceItemListSerializer.Meta.fields,
            "fee_description",
            "legal_basis",
            "conditions",
            "process_steps",
            "form_fields",
            "result_name",
            "result_licence_type",
            "result_licence_type_code",
            "consultation_phone",
            "life_events",
            "materials",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_result_licence_type(self, item: ServiceItem) -> str:
        return item.result_licence_type.name if item.result_licence_type else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_result_licence_type_code(self, item: ServiceItem) -> str:
        return item.result_licence_type.code if item.result_licence_type else ""


class SavingSerializer(serializers.Serializer[Any]):
    items_total = serializers.DecimalField(max_digits=12, decimal_places=2, normalize_output=True)
    bundle = serializers.DecimalField(max_digits=12, decimal_places=2, normalize_output=True)
    rate = serializers.DecimalField(
        max_digits=6, decimal_places=4, help_text="(items_total − bundle) / items_total"
    )
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=1, help_text="rate in percent, one decimal"
    )


class BundleSavingsSerializer(serializers.Serializer[Any]):
    time = SavingSerializer(help_text="法定办结时限之和 vs 一件事承诺办结时限（工作日）")
    materials = SavingSerializer(help_text="各事项材料数之和 vs 去重后的材料数")
    trips = SavingSerializer(help_text="跑动次数")
    steps = SavingSerializer(help_text="办理环节数")


class BundleMaterialSerializer(serializers.Serializer[Any]):
    material_id = serializers.IntegerField(allow_null=True, help_text="null: the merged application form")
    name = serializers.CharField()
    issuing_body = serializers.CharField()
    kind = serializers.CharField()
    licence_type = serializers.SerializerMethodField(help_text="可替代的电子证照类型名称；空：无")
    licence_type_code = serializers.SerializerMethodField(help_text="证照类型代码；空：无")
    originals = serializers.IntegerField()
    copies = serializers.IntegerField()
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field named like Field.required
    critical = serializers.BooleanField()
    is_merged_form = serializers.BooleanField()
    item_names = serializers.ListField(child=serializers.CharField())

    @extend_schema_field(OpenApiTypes.STR)
    def get_licence_type(self, line: selectors.BundleMaterial) -> str:
        return line.licence_type.name if line.licence_type else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_licence_type_code(self, line: selectors.BundleMaterial) -> str:
        return line.licence_type.code if line.licence_type else ""


class BundleFormFieldSerializer(FormFieldSerializer):
    items = serializers.ListField(child=serializers.CharField(), help_text="the items that ask for it")


class BundleItemSerializer(serializers.ModelSerializer[ServiceItem]):
    department = NamedRefSerializer(read_only=True)

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "name",
            "implementation_code",
            "version",
            "status",
            "department",
            "legal_limit_days",
            "promised_limit_days",
            "trips",
        ]
        read_only_fields = fields


class BundleListSerializer(serializers.ModelSerializer[Bundle]):
    life_event = NamedRefSerializer(read_only=True)
    lead_department = NamedRefSerializer(read_only=True)
    items = serializers.SerializerMethodField()
    savings = serializers.SerializerMethodField()

    class Meta:
        model = Bundle
        fields = [
            "id",
            "name",
            "life_event",
            "lead_department",
            "promised_limit_days",
            "trips",
            "status",
            "items",
            "savings",
        ]
        read_only_fields = fields

    @extend_schema_field(BundleItemSerializer(many=True))
    def get_items(self, bundle: Bundle) -> Any:
        return BundleItemSerializer(selectors.bundle_items(bundle), many=True).data

    @extend_schema_field(BundleSavingsSerializer)
    def get_savings(self, bundle: Bundle) -> Any:
        return BundleSavingsSerializer(selectors.bundle_savings(bundle)).data


class BundleDetailSerializer(BundleListSerializer):
    materials = serializers.SerializerMethodField()
    form_fields = serializers.SerializerMethodField()
    process_steps = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(BundleListSerializer.Meta):
        fields = [
            *BundleListSerializer.Meta.fields,
            "description",
            "process_steps",
            "materials",
            "form_fields",
        ]
        read_only_fields = fields

    @extend_schema_field(BundleMaterialSerializer(many=True))
    def get_materials(self, bundle: Bundle) -> Any:
        return BundleMaterialSerializer(selectors.bundle_materials(bundle), many=True).data

    @extend_schema_field(BundleFormFieldSerializer(many=True))
    def get_form_fields(self, bundle: Bundle) -> Any:
        return BundleFormFieldSerializer(selectors.bundle_form_fields(bundle), many=True).data


# ---------------------------------------------------------------------------------------------
# Serializers: input (types only; the rules are the services')


class MaterialInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    issuing_body = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="document 或 form；空：沿用已登记的"
    )
    licence_type = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="可替代的电子证照类型，填证照目录中的证照名称；空：沿用已登记的",
    )
    originals = serializers.IntegerField(required=False, default=1)
    copies = serializers.IntegerField(required=False, default=0)
    required = serializers.BooleanField(required=False, default=True)  # type: ignore[assignment]
    critical = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ServiceItemInputSerializer(serializers.Serializer[Any]):
    """A new item (draft, version 1). ``basic_code`` defaults to the last 12 characters of
    ``implementation_code``; ``level`` to the department's."""

    name = serializers.CharField(max_length=200)
    implementation_code = serializers.CharField(max_length=40)
    basic_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    item_type = serializers.CharField(max_length=10, help_text="事项类型代码，如 01")
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.select_related("region"))
    level = serializers.IntegerField(required=False, allow_null=True)
    service_objects = serializers.ListField(
        child=serializers.CharField(max_length=2), help_text='服务对象代码，如 ["1"]'
    )
    legal_limit_days = serializers.DecimalField(max_digits=None, decimal_places=None)
    promised_limit_days = serializers.DecimalField(max_digits=None, decimal_places=None)
    case_type = serializers.IntegerField(help_text="1 即办件，2 承诺件")
    trips = serializers.IntegerField(required=False)
    online_depth = serializers.IntegerField(required=False, help_text="1 线下办理，2 网上预审，3 全程网办")
    charges_fee = serializers.BooleanField(required=False)
    fee_description = serializers.CharField(required=False, allow_blank=True)
    legal_basis = serializers.CharField(required=False, allow_blank=True)
    conditions = serializers.CharField(required=False, allow_blank=True)
    process_steps = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    form_fields = FormFieldSerializer(many=True, required=False)
    result_name = serializers.CharField(required=False, allow_blank=True)
    result_licence_type = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="结果证照类型，填证照目录中的证照名称"
    )
    consultation_phone = serializers.CharField(required=False, allow_blank=True)
    life_events = serializers.PrimaryKeyRelatedField(
        queryset=LifeEvent.objects.all(), many=True, required=False
    )
    materials = MaterialInputSerializer(many=True, required=False)


class BundleInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, allow_blank=True)
    life_event = serializers.PrimaryKeyRelatedField(queryset=LifeEvent.objects.all())
    lead_department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    items = serializers.PrimaryKeyRelatedField(queryset=ServiceItem.objects.all(), many=True)
    promised_limit_days = serializers.DecimalField(max_digits=None, decimal_places=None)
    trips = serializers.IntegerField()
    process_steps = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")


# ---------------------------------------------------------------------------------------------
# Views

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入格式错误（类型、缺少字段）"),
    403: OpenApiResponse(ErrorSerializer, description="无权限"),
    422: OpenApiResponse(ErrorSerializer, description="违反事项清单规则，未保存"),
}


class CatalogWritePermission(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; POST needs the model's add permission (catalog.add_serviceitem /
    catalog.add_bundle)."""


@extend_schema_view(
    list=extend_schema(
        summary="事项列表",
        parameters=[
            OpenApiParameter("q", str, description="名称、编码或部门名称"),
            OpenApiParameter("department", int, description="实施主体（部门编号）"),
            OpenApiParameter("life_event", int, description="人生事件编号"),
            OpenApiParameter("item_type", str, description="事项类型代码，如 01"),
            OpenApiParameter(
                "status",
                str,
                enum=["published", "draft", "retired", "all"],
                description="默认 published；草稿仅对工作人员可见",
            ),
        ],
    ),
    retrieve=extend_schema(summary="事项详情（含材料）"),
)
class ServiceItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[ServiceItem],
):
    """事项 — one version per row."""

    queryset = ServiceItem.objects.all()
    permission_classes = [CatalogWritePermission]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return ServiceItemListSerializer if self.action == "list" else ServiceItemDetailSerializer

    def get_queryset(self) -> QuerySet[ServiceItem]:
        qs = selectors.visible_items(self.request.user)
        if self.action != "list":
            return selectors.with_materials(qs)
        params = self.request.query_params
        wanted = params.get("status", VersionStatus.PUBLISHED)
        if wanted != "all":
            qs = qs.filter(status=wanted)
        return selectors.search_items(
            qs,
            q=params.get("q", ""),
            department=params.get("department"),
            life_event=params.get("life_event"),
            item_type=params.get("item_type", ""),
        )

    @extend_schema(
        summary="新建事项（草稿）",
        request=ServiceItemInputSerializer,
        responses={201: ServiceItemDetailSerializer, **ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ServiceItemInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        materials = [dict(m) for m in data.pop("materials", [])]
        data["form_fields"] = [dict(f) for f in data.get("form_fields", [])]
        if data.get("basic_code") == "":
            del data["basic_code"]
        item = services.create_item(data=data, materials=materials, by=request.user)
        item = get_object_or_404(
            selectors.with_materials(ServiceItem.objects.select_related("department", "result_licence_type")),
            pk=item.pk,
        )
        return Response(ServiceItemDetailSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="一件事列表（含事项和节省情况）"),
    retrieve=extend_schema(summary="一件事详情（含去重材料、合并表单和节省情况）"),
)
class BundleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Bundle]
):
    """一件事 — items packaged around one life event."""

    queryset = Bundle.objects.all()
    permission_classes = [CatalogWritePermission]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return BundleListSerializer if self.action == "list" else BundleDetailSerializer

    def get_queryset(self) -> QuerySet[Bundle]:
        qs = Bundle.objects.all()
        if not self.request.user.has_perm("catalog.view_bundle"):
            qs = qs.filter(status=VersionStatus.PUBLISHED)
        return selectors.bundles_with_composition(qs)

    @extend_schema(
        summary="新建一件事（草稿）",
        request=BundleInputSerializer,
        responses={201: BundleDetailSerializer, **ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = BundleInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        bundle = services.create_bundle(
            name=data["name"],
            life_event=data["life_event"],
            lead_department=data["lead_department"],
            items=data["items"],
            promised_limit_days=data["promised_limit_days"],
            trips=data["trips"],
            process_steps=data["process_steps"],
            description=data["description"],
            by=request.user,
        )
        bundle = get_object_or_404(selectors.bundles_with_composition(), pk=bundle.pk)
        return Response(BundleDetailSerializer(bundle).data, status=status.HTTP_201_CREATED)


class ImportInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=".xlsx，不超过 5 MB，格式同导出文件")
    publish = serializers.BooleanField(required=False, default=False, help_text="导入后立即发布")


class ImportCountsSerializer(serializers.Serializer[Any]):
    items = serializers.IntegerField()
    created = serializers.IntegerField()
    new_versions = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    published = serializers.IntegerField()
    materials = serializers.IntegerField()
    detail = serializers.CharField()


class ImportProblemSerializer(serializers.Serializer[Any]):
    sheet = serializers.CharField()
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField()
    message = serializers.CharField()


class ImportRefusedSerializer(ErrorSerializer):
    problems = ImportProblemSerializer(many=True)


class HasPermission(permissions.BasePermission):
    """The user holds ``self.perm`` (set by ``needs``)."""

    perm = ""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(self.perm))


def needs(perm: str) -> type[permissions.BasePermission]:
    return type(f"Needs_{perm.replace('.', '_')}", (HasPermission,), {"perm": perm})


class CatalogImportView(APIView):
    """Import the catalogue from an .xlsx in the export format: all rows or nothing."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [needs("catalog.add_serviceitem")]

    @extend_schema(
        summary="从 Excel 导入事项清单",
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            200: ImportCountsSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            422: OpenApiResponse(ImportRefusedSerializer, description="文件有问题，未导入任何数据"),
        },
    )
    def post(self, request: Request) -> Response:
        given = ImportInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data["file"]
        excel.check_upload(upload.name or "", upload.size)
        result = excel.import_catalog(upload, by=request.user, publish=given.validated_data["publish"])
        if not result.ok:
            problems = result.problems
            return Response(
                {
                    "detail": f"文件未导入：发现{len(problems)}个问题，未保存任何数据。{problems[0]}",
                    "errors": {"file": [str(p) for p in problems]},
                    "problems": [p.as_dict() for p in problems],
                },
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response({**result.counts(), "detail": result.summary()})


class CatalogExportView(APIView):
    """The catalogue as .xlsx (sheets 事项 and 材料)."""

    permission_classes = [needs("catalog.view_serviceitem")]

    @extend_schema(
        summary="导出事项清单（Excel）",
        parameters=[
            OpenApiParameter("scope", str, enum=list(excel.EXPORT_SCOPES), description="默认 published")
        ],
        responses={(200, excel.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, 403: ERRORS[403]},
    )
    def get(self, request: Request) -> FileResponse:
        scope = request.query_params.get("scope", "published")
        if scope not in excel.EXPORT_SCOPES:
            scope = "published"
        return FileResponse(
            BytesIO(excel.export_items(excel.export_queryset(scope))),
            as_attachment=True,
            filename=excel.export_filename(scope),
            content_type=excel.XLSX_CONTENT_TYPE,
        )


router = DefaultRouter()
router.register("items", ServiceItemViewSet, basename="item")
router.register("bundles", BundleViewSet, basename="bundle")
urlpatterns = [
    *router.urls,
    path("catalog/import", CatalogImportView.as_view(), name="catalog-import"),
    path("catalog/export", CatalogExportView.as_view(), name="catalog-export"),
]
