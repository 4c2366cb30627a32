"""What the licence API reads and writes (api.py); the services decide."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from .models import Licence, LicenceShare, LicenceUse
from .services import SHARE_MAX_DAYS


class LicenceSerializer(serializers.ModelSerializer[Licence]):
    licence_type_name = serializers.CharField(source="licence_type.name", read_only=True)
    licence_type_code = serializers.CharField(source="licence_type.code", read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    holder_kind = serializers.CharField(read_only=True, help_text="person 自然人，organisation 法人")
    state = serializers.CharField(
        read_only=True,
        help_text="valid 有效、superseded 已变更、cancelled 已注销、revoked 已吊销（过期见 expired）",
    )
    state_name = serializers.SerializerMethodField()
    expired = serializers.SerializerMethodField()

    class Meta:
        model = Licence
        fields = [
            "id",
            "identifier",
            "licence_type_name",
            "licence_type_code",
            "number",
            "version",
            "issuer_name",
            "issued_on",
            "valid_from",
            "valid_until",
            "holder_kind",
            "holder_name",
            "state",
            "state_name",
            "expired",
            "state_reason",
            "state_changed_on",
        ]
        read_only_fields = fields

    def get_expired(self, obj: Licence) -> bool:
        return obj.expired_on(timezone.localdate())

    def get_state_name(self, obj: Licence) -> str:
        if obj.state == "valid" and obj.expired_on(timezone.localdate()):
            return "已过期"
        return obj.get_state_display()


class LicenceDetailSerializer(LicenceSerializer):
    surface = serializers.DictField(child=serializers.CharField(), read_only=True)
    superseded_by = serializers.CharField(source="superseded_by.identifier", read_only=True, default=None)
    qr_text = serializers.SerializerMethodField()

    class Meta(LicenceSerializer.Meta):
        fields = [*LicenceSerializer.Meta.fields, "surface", "superseded_by", "digest", "qr_text"]
        read_only_fields = fields

    def get_qr_text(self, obj: Licence) -> str:
        from .services import qr_text

        return qr_text(obj)


class ShareSerializer(serializers.ModelSerializer[LicenceShare]):
    class Meta:
        model = LicenceShare
        fields = ["id", "licence", "organisation", "purpose", "created_at", "expires_at", "revoked_at"]
        read_only_fields = fields


class ShareCreatedSerializer(ShareSerializer):
    url = serializers.CharField(help_text="授权链接，只返回这一次")

    class Meta(ShareSerializer.Meta):
        fields = [*ShareSerializer.Meta.fields, "url"]
        read_only_fields = fields


class ShareInput(serializers.Serializer[Any]):
    organisation = serializers.CharField(max_length=200, help_text="被授权单位")
    purpose = serializers.CharField(max_length=200, help_text="用证事由")
    days = serializers.IntegerField(min_value=1, max_value=SHARE_MAX_DAYS, help_text="授权天数（1–90）")


class UseSerializer(serializers.ModelSerializer[LicenceUse]):
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)
    application_number = serializers.CharField(source="application.number", read_only=True, default=None)

    class Meta:
        model = LicenceUse
        fields = ["id", "at", "kind", "kind_name", "used_by", "purpose", "application_number", "share"]
        read_only_fields = fields


class ChangeInput(serializers.Serializer[Any]):
    surface = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=500),
        help_text="要变更的照面信息项：{项名: 新值}，未列出的保持不变",
    )
    reason = serializers.CharField(max_length=500, help_text="变更原因")
    holder_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="持证主体（更名时）"
    )


class EndInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="注销或吊销原因")
    on = serializers.DateField(required=False, help_text="日期，默认今天")

    def validate_on(self, value: Any) -> Any:
        if value and value > timezone.localdate():
            raise serializers.ValidationError("日期不能晚于今天")
        return value
