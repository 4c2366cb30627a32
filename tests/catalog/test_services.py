from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from zhengwu.catalog import services
from zhengwu.catalog.models import (
    Bundle,
    BundleItem,
    CaseType,
    ItemMaterial,
    Material,
    MaterialKind,
    ServiceItem,
    VersionStatus,
)
from zhengwu.core.errors import Conflict, DomainError, InvalidInput
from zhengwu.core.models import AuditEvent

from ..factories import DepartmentFactory, make_uscc
from .factories import (
    ItemMaterialFactory,
    LifeEventFactory,
    MaterialFactory,
    ServiceItemFactory,
    code_for,
    fast_passwords,  # noqa: F401  (fixture)
    item_data,
    licence_type,
    material_line,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def _refused(department, by, materials=None, **overrides) -> DomainError:
    with pytest.raises(DomainError) as info:
        services.create_item(data=item_data(department, **overrides), materials=materials or [], by=by)
    assert ServiceItem.objects.count() == 0, "nothing is saved when a rule is broken"
    return info.value


class TestCreateItem:
    def test_creates_a_draft_version_1_with_its_materials_and_an_audit_record(self, department, admin_user):
        item = services.create_item(
            data=item_data(department),
            materials=[material_line(), material_line(name="营业执照", issuing_body="", critical=True)],
            by=admin_user,
        )
        assert (item.status, item.version, item.level) == (VersionStatus.DRAFT, 1, 3)
        assert item.basic_code == "410200000001"
        assert [(m.material.name, m.critical) for m in item.item_materials.all()] == [
            ("居民身份证", False),
            ("营业执照", True),
        ]
        event = AuditEvent.objects.get(action="新建事项")
        assert event.actor == admin_user and event.object_id == str(item.pk)
        assert event.after["legal_limit_days"] == "20.00"

    def test_basic_code_is_taken_from_the_implementation_code_when_missing(self, department, admin_user):
        data = item_data(department)
        del data["basic_code"]
        item = services.create_item(data=data, materials=[], by=admin_user)
        assert item.basic_code == "410200000001"

    def test_materials_are_shared_by_name_and_issuer(self, department, admin_user):
        id_card = licence_type("居民身份证")
        existing = MaterialFactory(name="居民身份证", issuing_body="公安机关")
        services.create_item(
            data=item_data(department), materials=[material_line(licence_type="居民身份证")], by=admin_user
        )
        existing.refresh_from_db()
        assert Material.objects.count() == 1
        assert existing.licence_type == id_card, "a missing e-licence type is filled in"

    def test_a_line_may_not_contradict_a_shared_material(self, department, admin_user):
        MaterialFactory(name="居民身份证", issuing_body="公安机关", licence_type=licence_type("居民身份证"))
        licence_type("户口簿")
        error = _refused(department, admin_user, materials=[material_line(licence_type="户口簿")])
        assert "已登记的可替代电子证照类型为「居民身份证」" in error.errors["materials[0].licence_type"][0]

    def test_licence_types_are_named_as_in_the_licence_catalogue(self, department, admin_user):
        food = licence_type("食品经营许可证", department)
        id_card = licence_type("居民身份证")
        item = services.create_item(
            data=item_data(department, result_licence_type="食品经营许可证"),
            materials=[material_line(licence_type="居民身份证")],
            by=admin_user,
        )
        assert item.result_licence_type == food
        assert item.item_materials.get().material.licence_type == id_card
        assert AuditEvent.objects.get(action="新建事项").after["result_licence_type"] == "食品经营许可证"

    def test_an_unknown_result_licence_type_is_refused_naming_the_field(self, department, admin_user):
        with pytest.raises(InvalidInput) as info:
            services.create_item(
                data=item_data(department, result_licence_type="食品经营许可证（旧）"),
                materials=[material_line()],
                by=admin_user,
            )
        assert info.value.status == 400
        assert info.value.errors == {
            "result_licence_type": [
                "结果证照类型「食品经营许可证（旧）」未在证照目录中登记，请先在证照目录中添加"
            ]
        }
        assert ServiceItem.objects.count() == Material.objects.count() == 0

    def test_an_unknown_material_licence_type_is_refused_naming_the_line(self, department, admin_user):
        with pytest.raises(InvalidInput) as info:
            services.create_item(
                data=item_data(department),
                materials=[material_line(name="营业执照"), material_line(licence_type="身份证")],
                by=admin_user,
            )
        assert info.value.errors == {
            "materials[1].licence_type": [
                "第2项材料：可替代电子证照类型「身份证」未在证照目录中登记，请先在证照目录中添加"
            ]
        }
        assert ServiceItem.objects.count() == Material.objects.count() == 0

    def test_renaming_a_licence_type_keeps_items_and_materials_attached(self, department, admin_user):
        id_card = licence_type("居民身份证")
        item = services.create_item(
            data=item_data(department, result_licence_type=licence_type("食品经营许可证", department)),
            materials=[material_line(licence_type=id_card)],
            by=admin_user,
        )
        id_card.name = "中华人民共和国居民身份证"
        id_card.save()
        food = item.result_licence_type
        food.name = "食品经营许可证（2026版）"
        food.save()
        item = ServiceItem.objects.select_related("result_licence_type").get(pk=item.pk)
        assert item.result_licence_type.name == "食品经营许可证（2026版）"
        assert item.item_materials.get().material.licence_type.name == "中华人民共和国居民身份证"
        draft = services.update_item(item=item, data={"name": "食品经营许可（新）"}, by=admin_user)
        assert draft.result_licence_type == food, "an edit keeps the reference"

    def test_duplicate_implementation_code_is_refused(self, department, admin_user):
        services.create_item(data=item_data(department), materials=[], by=admin_user)
        with pytest.raises(DomainError) as info:
            services.create_item(data=item_data(department), materials=[], by=admin_user)
        assert "已存在（现有第1版）" in info.value.errors["implementation_code"][0]
        assert ServiceItem.objects.count() == 1

    def test_a_concurrent_duplicate_is_a_conflict(self, department, admin_user, monkeypatch):
        services.create_item(data=item_data(department), materials=[], by=admin_user)
        monkeypatch.setattr(services, "_check_code_free", lambda *args, **kwargs: None)  # as if not yet there
        with pytest.raises(Conflict, match="已存在，请在现有事项上创建新版本"):
            services.create_item(data=item_data(department), materials=[], by=admin_user)
        assert ServiceItem.objects.count() == 1

    def test_missing_field_is_malformed_input(self, department, admin_user):
        data = item_data(department)
        del data["legal_limit_days"]
        with pytest.raises(InvalidInput) as info:
            services.create_item(data=data, materials=[], by=admin_user)
        assert info.value.status == 400
        assert info.value.message == "缺少必填项：法定办结时限"

    def test_wrong_type_is_malformed_input(self, department, admin_user):
        with pytest.raises(InvalidInput) as info:
            services.create_item(data=item_data(department, trips="两次"), materials=[], by=admin_user)
        assert (info.value.field, info.value.message) == ("trips", "到办事现场次数应为整数")

    def test_every_broken_rule_is_reported_at_once(self, department, admin_user):
        error = _refused(
            department,
            admin_user,
            item_type="99",
            service_objects=[],
            promised_limit_days=Decimal(30),
            materials=[material_line(originals=0, copies=0)],
        )
        assert error.status == 422
        assert set(error.errors) == {
            "item_type",
            "service_objects",
            "promised_limit_days",
            "materials[0].originals",
        }
        assert error.message.startswith("事项类型「99」无效")


class TestImplementationCode:
    """实施编码 = the department's USCC (18) + 行使层级 (1) + 基本编码 (12): say which part is wrong."""

    def _code_error(self, department, admin_user, code: str, **overrides) -> list[str]:
        error = _refused(department, admin_user, implementation_code=code, **overrides)
        return error.errors["implementation_code"]

    def test_wrong_length(self, department, admin_user):
        code = code_for(department, "410200000001")[:-1]
        assert self._code_error(department, admin_user, code) == [
            "实施编码应为31位（实施主体统一社会信用代码18位 + 行使层级1位 + 基本编码12位），实际为30位"
        ]

    def test_uscc_part_of_another_body(self, department, admin_user):
        other = make_uscc(999)
        code = f"{other}3410200000001"
        [message] = self._code_error(department, admin_user, code)
        assert message == (
            f"实施编码第1–18位应为实施主体「{department.name}」的统一社会信用代码 {department.uscc}，实际为 {other}"
        )

    def test_level_digit_must_be_the_department_level(self, department, admin_user):
        code = f"{department.uscc}4410200000001"
        [message] = self._code_error(department, admin_user, code)
        assert message == "实施编码第19位（行使层级）应为 3（市级，与实施主体所在区划一致），实际为 4"

    def test_basic_code_part_must_be_digits_or_capitals(self, department, admin_user):
        code = f"{department.uscc}3ABC-12345678"
        messages = self._code_error(department, admin_user, code, basic_code="ABC-12345678")
        assert messages == ["实施编码第20–31位（基本编码）应为12位数字或大写字母，实际为 ABC-12345678"]

    def test_basic_code_must_match_the_end_of_the_implementation_code(self, department, admin_user):
        code = code_for(department, "410200000001")
        error = _refused(department, admin_user, implementation_code=code, basic_code="410200000009")
        assert error.errors == {
            "basic_code": ["基本编码 410200000009 应与实施编码第20–31位 410200000001 一致"],
        }

    def test_level_field_must_match_the_department(self, department, admin_user):
        error = _refused(department, admin_user, level=4)
        assert "行使层级（4）应与实施主体" in error.errors["level"][0]

    def test_lower_case_is_read_as_upper_case(self, department, admin_user):
        data = item_data(department, basic_code="41020000000A")
        data["implementation_code"] = data["implementation_code"].lower()
        item = services.create_item(data=data, materials=[], by=admin_user)
        assert item.implementation_code.endswith("41020000000A")


class TestLimits:
    def test_promised_may_not_exceed_legal(self, department, admin_user):
        error = _refused(
            department, admin_user, legal_limit_days=Decimal(15), promised_limit_days=Decimal(20)
        )
        assert error.errors == {"promised_limit_days": ["承诺办结时限（20）不能超过法定办结时限（15）"]}
        assert error.field == "promised_limit_days"

    def test_negative_limit(self, department, admin_user):
        error = _refused(department, admin_user, legal_limit_days=Decimal(-1), promised_limit_days=Decimal(0))
        assert "法定办结时限不能为负数（实际为-1）" in error.errors["legal_limit_days"]

    def test_three_decimals(self, department, admin_user):
        error = _refused(department, admin_user, promised_limit_days=Decimal("2.125"))
        assert error.errors["promised_limit_days"] == ["承诺办结时限最多保留两位小数（实际为2.125）"]

    def test_half_days_are_fine(self, department, admin_user):
        item = services.create_item(
            data=item_data(department, legal_limit_days=Decimal("0.5"), promised_limit_days=Decimal("0.5")),
            materials=[],
            by=admin_user,
        )
        assert item.promised_limit_days == Decimal("0.5")

    def test_immediate_case_is_promised_in_zero_days(self, department, admin_user):
        error = _refused(department, admin_user, case_type=CaseType.IMMEDIATE)
        assert error.errors["promised_limit_days"] == ["即办件当场办结，承诺办结时限应为0（实际为7）"]
        item = services.create_item(
            data=item_data(department, case_type=CaseType.IMMEDIATE, promised_limit_days=Decimal(0)),
            materials=[],
            by=admin_user,
        )
        assert item.promised_limit_days == 0

    def test_promised_case_needs_some_time(self, department, admin_user):
        error = _refused(department, admin_user, promised_limit_days=Decimal(0))
        assert "当场办结的事项请选择即办件" in error.errors["promised_limit_days"][0]


class TestOtherRules:
    def test_item_type_must_be_a_known_code(self, department, admin_user):
        error = _refused(department, admin_user, item_type="30")
        assert error.errors["item_type"][0].startswith("事项类型「30」无效，应为：01 行政许可")

    def test_service_objects_needed_and_valid(self, department, admin_user):
        assert _refused(department, admin_user, service_objects=[]).errors["service_objects"] == [
            "请至少填写一个服务对象"
        ]
        error = _refused(department, admin_user, service_objects=["1", "8"])
        assert error.errors["service_objects"][0].startswith("服务对象代码「8」无效")

    def test_fee_needs_a_standard(self, department, admin_user):
        error = _refused(department, admin_user, charges_fee=True)
        assert error.errors == {"fee_description": ["收费的事项请填写收费标准"]}

    def test_material_rules(self, department, admin_user):
        error = _refused(
            department,
            admin_user,
            materials=[
                material_line(name=""),
                material_line(name="营业执照", originals=0, copies=0),
                material_line(name="户口簿", required=False, critical=True),
                material_line(),
                material_line(),
            ],
        )
        assert error.errors == {
            "materials[0].name": ["材料名称不能为空"],
            "materials[1].originals": ["原件份数和复印件份数不能都为0"],
            "materials[2].critical": ["关键材料必须是必要材料"],
            "materials[4].name": ["材料「居民身份证」与第4项材料重复"],
        }
        assert error.message == "第1项材料：材料名称不能为空"
        assert Material.objects.count() == 0


class TestVersions:
    def test_a_draft_can_be_changed(self, department, admin_user):
        item = services.create_item(data=item_data(department), materials=[material_line()], by=admin_user)
        changed = services.update_item(
            item=item, data={"promised_limit_days": Decimal(5)}, materials=None, by=admin_user
        )
        assert changed.promised_limit_days == 5
        assert changed.item_materials.count() == 1, "materials are kept when not given"
        event = AuditEvent.objects.get(action="修改事项")
        assert (event.before["promised_limit_days"], event.after["promised_limit_days"]) == ("7.00", "5.00")

    def test_update_checks_the_rules_on_the_result(self, department, admin_user):
        item = services.create_item(data=item_data(department), materials=[], by=admin_user)
        with pytest.raises(DomainError) as info:
            services.update_item(item=item, data={"legal_limit_days": Decimal(3)}, by=admin_user)
        assert info.value.errors == {"promised_limit_days": ["承诺办结时限（7）不能超过法定办结时限（3）"]}
        item.refresh_from_db()
        assert item.legal_limit_days == 20

    def test_a_published_version_is_never_edited(self, admin_user):
        item = ServiceItemFactory(status=VersionStatus.PUBLISHED)
        with pytest.raises(Conflict) as info:
            services.update_item(item=item, data={"name": "改名"}, by=admin_user)
        assert info.value.status == 409
        assert "已发布，不能修改；请先创建新版本" in info.value.message

    def test_new_version_copies_the_item_as_the_next_draft(self, admin_user):
        item = ServiceItemFactory(name="食品经营许可")
        ItemMaterialFactory(item=item, copies=2, critical=True)
        item.life_events.add(LifeEventFactory(name="开办"))
        draft = services.new_version(item=item, by=admin_user)
        assert (draft.version, draft.status, draft.name) == (2, VersionStatus.DRAFT, "食品经营许可")
        assert draft.implementation_code == item.implementation_code
        assert [(m.copies, m.critical) for m in draft.item_materials.all()] == [(2, True)]
        assert [e.name for e in draft.life_events.all()] == ["开办"]
        with pytest.raises(Conflict, match="已有第2版草稿"):
            services.new_version(item=item, by=admin_user)

    def test_publishing_retires_the_previous_version_and_moves_bundles(self, admin_user):
        from .factories import bundle_of

        old = ServiceItemFactory(valid_from=timezone.localdate() - timedelta(days=30))
        other = ServiceItemFactory()
        bundle = bundle_of(old, other)
        draft = services.new_version(item=old, by=admin_user)
        services.update_item(item=draft, data={"promised_limit_days": Decimal(3)}, by=admin_user)
        services.publish_item(item=draft, by=admin_user)
        old.refresh_from_db()
        draft.refresh_from_db()
        today = timezone.localdate()
        assert (old.status, old.valid_until) == (VersionStatus.RETIRED, today)
        assert (draft.status, draft.valid_from, draft.valid_until) == (VersionStatus.PUBLISHED, today, None)
        assert list(BundleItem.objects.filter(bundle=bundle).values_list("item_id", flat=True)) == [
            draft.pk,
            other.pk,
        ]
        assert AuditEvent.objects.filter(action="废止事项", object_id=str(old.pk)).exists()

    def test_a_version_can_be_replaced_on_the_day_it_took_effect(self, department, admin_user):
        first = services.publish_item(
            item=services.create_item(data=item_data(department), materials=[], by=admin_user), by=admin_user
        )
        second = services.publish_item(item=services.new_version(item=first, by=admin_user), by=admin_user)
        first.refresh_from_db()
        assert first.valid_from == first.valid_until == second.valid_from
        assert first.status == VersionStatus.RETIRED

    def test_only_drafts_are_published(self, admin_user):
        with pytest.raises(Conflict, match="只有草稿可以发布"):
            services.publish_item(item=ServiceItemFactory(), by=admin_user)


class TestBundles:
    def _create(self, by, items, **overrides):
        department = overrides.pop("lead_department", None) or DepartmentFactory()
        kwargs = {
            "name": "企业开办",
            "life_event": LifeEventFactory(name="开办"),
            "lead_department": department,
            "items": items,
            "promised_limit_days": Decimal("0.5"),
            "trips": 1,
            "process_steps": ["一窗受理", "并联办理", "统一出件"],
            "description": "",
            "by": by,
        }
        kwargs.update(overrides)
        return services.create_bundle(**kwargs)

    def test_creates_a_draft_bundle_with_items_in_order(self, admin_user):
        a, b = ServiceItemFactory(), ServiceItemFactory()
        bundle = self._create(admin_user, [b, a])
        assert bundle.status == VersionStatus.DRAFT
        assert [bi.item for bi in bundle.bundle_items.all()] == [b, a]
        assert AuditEvent.objects.filter(action="新建一件事", object_id=str(bundle.pk)).exists()

    @pytest.mark.parametrize("count", [0, 1])
    def test_needs_two_items(self, admin_user, count):
        items = [ServiceItemFactory() for _ in range(count)]
        with pytest.raises(DomainError) as info:
            self._create(admin_user, items)
        assert info.value.errors["items"] == ["一件事至少包含两个事项"]
        assert Bundle.objects.count() == 0

    def test_the_same_item_twice_is_one_item(self, admin_user):
        item = ServiceItemFactory()
        with pytest.raises(DomainError) as info:
            self._create(admin_user, [item, item])
        assert info.value.errors["items"] == ["一件事至少包含两个事项"]

    def test_limit_rules(self, admin_user):
        items = [
            ServiceItemFactory(legal_limit_days=Decimal(2), promised_limit_days=Decimal(1)),
            ServiceItemFactory(legal_limit_days=Decimal(3), promised_limit_days=Decimal(1)),
        ]
        with pytest.raises(DomainError) as info:
            self._create(admin_user, items, promised_limit_days=Decimal("1.555"))
        assert info.value.errors["promised_limit_days"] == ["承诺办结时限最多保留两位小数（实际为1.555）"]
        with pytest.raises(DomainError) as info:
            self._create(admin_user, items, promised_limit_days=Decimal(-1))
        assert info.value.errors["promised_limit_days"] == ["承诺办结时限不能为负数（实际为-1）"]
        with pytest.raises(DomainError) as info:
            self._create(admin_user, items, promised_limit_days=Decimal(6))
        assert info.value.errors["promised_limit_days"] == [
            "一件事承诺办结时限（6）不能超过所含事项法定办结时限之和（5）"
        ]
        assert Bundle.objects.count() == 0

    def test_name_is_unique_and_retired_items_are_refused(self, admin_user):
        items = [ServiceItemFactory(), ServiceItemFactory()]
        self._create(admin_user, items)
        retired = ServiceItemFactory(status=VersionStatus.RETIRED, name="旧事项")
        with pytest.raises(DomainError) as info:
            self._create(admin_user, [*items, retired])
        assert info.value.errors["name"] == ["一件事「企业开办」已存在"]
        assert info.value.errors["items"] == ["事项「旧事项」第1版已废止，请选择现行版本"]

    def test_publish_needs_published_items(self, admin_user):
        draft = ServiceItemFactory(status=VersionStatus.DRAFT, name="草稿事项")
        bundle = self._create(admin_user, [ServiceItemFactory(), draft])
        with pytest.raises(DomainError, match="草稿事项"):
            services.publish_bundle(bundle=bundle, by=admin_user)
        services.publish_item(item=draft, by=admin_user)
        assert services.publish_bundle(bundle=bundle, by=admin_user).status == VersionStatus.PUBLISHED


def test_models_refuse_broken_rows_even_outside_the_services(department):
    """The database keeps the one-row rules (belt and braces for the admin)."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceItemFactory(legal_limit_days=Decimal(1), promised_limit_days=Decimal(2))
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemMaterialFactory(required=False, critical=True)
    assert not ItemMaterial.objects.exists()
    assert MaterialKind.FORM.label == "申请表"
