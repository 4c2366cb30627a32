import pytest
from django.core.exceptions import ValidationError

from zhengwu.org.models import Department, Level, Region

from ..factories import make_uscc


@pytest.fixture
def city(db):
    return Region.objects.create(code="410200", name="示范市", level=Level.CITY)


def _errors(region):
    with pytest.raises(ValidationError) as info:
        region.full_clean()
    return info.value.message_dict


def test_a_valid_four_level_chain(city):
    county = Region(code="410202", name="东城区", level=Level.COUNTY, parent=city)
    county.full_clean()
    county.save()
    town = Region(code="410202001", name="城关街道", level=Level.TOWN, parent=county)
    town.full_clean()
    town.save()
    village = Region(code="410202001001", name="第一社区", level=Level.VILLAGE, parent=town)
    village.full_clean()
    village.save()
    assert [r.name for r in village.ancestors()] == ["示范市", "东城区", "城关街道"]


def test_town_code_must_have_nine_digits(city):
    county = Region.objects.create(code="410202", name="东城区", level=Level.COUNTY, parent=city)
    errors = _errors(Region(code="4102020011", name="城关街道", level=Level.TOWN, parent=county))
    assert errors["code"] == ["镇（乡、街道）级区划代码应为9位数字"]


def test_child_code_must_extend_the_parents(city):
    county = Region.objects.create(code="410202", name="东城区", level=Level.COUNTY, parent=city)
    errors = _errors(Region(code="410303001", name="外区街道", level=Level.TOWN, parent=county))
    assert errors["code"] == ["区划代码前6位应与上级区划 410202 一致"]


def test_level_must_follow_the_parent(city):
    errors = _errors(Region(code="410202001", name="越级街道", level=Level.TOWN, parent=city))
    assert errors["parent"] == ["上级区划应为县级"]


def test_level_outside_city_to_village_is_refused(city):
    errors = _errors(Region(code="410000", name="省", level=Level.PROVINCE))
    assert "行使层级应为3" in errors["level"][0]


def test_department_uscc_is_validated(city):
    good = make_uscc(3)
    Department(name="示范市民政局", uscc=good, region=city).full_clean()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        Department(name="示范市民政局", uscc=bad, region=city).full_clean()
    assert "统一社会信用代码校验码错误" in info.value.message_dict["uscc"][0]
