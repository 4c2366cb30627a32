"""Who sees which departments' figures: scope_for for each role, and a region narrowing the city
to the departments in it and under it (departments_in)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.factories import DepartmentFactory, RegionFactory
from zhengwu.analytics import figures
from zhengwu.analytics.scope import scope_for
from zhengwu.core.errors import InvalidInput, NotAllowed, NotFound
from zhengwu.org.models import Level, Region


@pytest.fixture
def city(db):
    """示范市 with two counties, a town in the first; a department at each level."""
    figures.clear_caches()  # the region tree is cached per process; these regions are this test's
    root = RegionFactory()
    east = Region.objects.create(code="410202", name="东城区", level=Level.COUNTY, parent=root)
    west = Region.objects.create(code="410203", name="西城区", level=Level.COUNTY, parent=root)
    town = Region.objects.create(code="410202001", name="东关街道", level=Level.TOWN, parent=east)
    depts = {
        "city": DepartmentFactory(name="示范市市场监督管理局", region=root),
        "east": DepartmentFactory(name="东城区市场监督管理局", region=east),
        "town": DepartmentFactory(name="东关街道便民服务中心", region=town),
        "west": DepartmentFactory(name="西城区市场监督管理局", region=west),
    }
    yield {"root": root, "east": east, "west": west, "town": town, **{f"d_{k}": v for k, v in depts.items()}}
    figures.clear_caches()


@pytest.mark.parametrize("role", ["leader", "supervisor", "admin"])
def test_city_wide_roles_see_every_department(make_user, city, role):
    s = scope_for(make_user(role, department=city["d_east"]))
    assert s.department_ids is None
    assert s.sees_all is True
    assert s.label == "全市"


@pytest.mark.parametrize("role", ["leader", "supervisor"])
def test_city_wide_roles_narrow_to_any_department(make_user, city, role):
    s = scope_for(make_user(role, department=city["d_east"]), department=str(city["d_west"].pk))
    assert s.department_ids == {city["d_west"].pk}
    assert s.label == "西城区市场监督管理局"
    assert s.department == city["d_west"]


def test_a_department_head_sees_their_own_department(make_user, city):
    head = make_user("dept_head", department=city["d_east"])
    s = scope_for(head)
    assert s.department_ids == {city["d_east"].pk}
    assert s.sees_all is False
    assert s.label == "东城区市场监督管理局"
    assert scope_for(head, department=str(city["d_east"].pk)).department_ids == {city["d_east"].pk}


def test_a_department_head_naming_another_department_is_403(make_user, city):
    head = make_user("dept_head", department=city["d_east"])
    with pytest.raises(NotAllowed) as caught:
        scope_for(head, department=str(city["d_west"].pk))
    assert caught.value.status == 403
    assert caught.value.field == "department"
    assert "只能查看本部门" in caught.value.message


@pytest.mark.parametrize("role", ["clerk", "approver", "handler", "callback", "operator"])
def test_roles_without_the_permission_are_403(make_user, city, role):
    with pytest.raises(NotAllowed) as caught:
        scope_for(make_user(role, department=city["d_east"]))
    assert caught.value.status == 403
    assert "没有查看统计分析的权限" in caught.value.message


def test_anonymous_is_403():
    with pytest.raises(NotAllowed):
        scope_for(AnonymousUser())


def test_a_department_head_without_a_department_is_403(make_user, db):
    with pytest.raises(NotAllowed) as caught:
        scope_for(make_user("dept_head", department=None))
    assert "未归属任何部门" in caught.value.message


def test_unknown_department_or_region_is_404(make_user, city):
    leader = make_user("leader", department=city["d_city"])
    with pytest.raises(NotFound) as caught:
        scope_for(leader, department="999999")
    assert (caught.value.status, caught.value.field) == (404, "department")
    with pytest.raises(NotFound) as caught:
        scope_for(leader, region="999999")
    assert (caught.value.status, caught.value.field) == (404, "region")


@pytest.mark.parametrize(
    ("param", "value"), [("department", "abc"), ("region", "-1"), ("department", "1" * 13)]
)
def test_a_number_that_is_not_one_is_400(make_user, city, param, value):
    with pytest.raises(InvalidInput) as caught:
        scope_for(make_user("leader", department=city["d_city"]), **{param: value})
    assert (caught.value.status, caught.value.field) == (400, param)
    assert "应为数字编号" in caught.value.message


def test_departments_in_a_region_include_those_of_the_regions_under_it(city):
    assert figures.departments_in(city["east"].pk) == {city["d_east"].pk, city["d_town"].pk}
    assert figures.departments_in(city["town"].pk) == {city["d_town"].pk}
    assert figures.departments_in(city["west"].pk) == {city["d_west"].pk}
    every = {city[k].pk for k in ("d_city", "d_east", "d_town", "d_west")}
    assert every <= figures.departments_in(city["root"].pk)


def test_a_leader_narrows_to_a_region_and_everything_under_it(make_user, city):
    s = scope_for(make_user("leader", department=city["d_city"]), region=str(city["east"].pk))
    assert s.department_ids == figures.departments_in(city["east"].pk)
    assert s.department_ids == {city["d_east"].pk, city["d_town"].pk}
    assert s.label == "东城区"
    assert s.region == city["east"]


def test_a_department_head_narrowing_to_their_region_still_sees_only_their_department(make_user, city):
    head = make_user("dept_head", department=city["d_town"])
    s = scope_for(head, region=str(city["east"].pk))
    assert s.department_ids == {city["d_town"].pk}  # not the county's other department


def test_a_department_head_naming_a_region_outside_their_department_is_403(make_user, city):
    head = make_user("dept_head", department=city["d_east"])
    with pytest.raises(NotAllowed) as caught:
        scope_for(head, region=str(city["west"].pk))
    assert (caught.value.status, caught.value.field) == (403, "region")
    with pytest.raises(NotAllowed):
        scope_for(head, region=str(city["town"].pk))  # a town under the county holds another department
