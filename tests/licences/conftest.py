from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import CitizenFactory, DepartmentFactory, EnterpriseFactory, LicenceTypeFactory
from zhengwu.licences import services


@pytest.fixture
def issuer(db):
    department = DepartmentFactory(name="示范市测试发证局")
    services.make_seal(department=department, by=None)
    return department


@pytest.fixture
def licence_type(issuer):
    return LicenceTypeFactory(name="测试许可证", defining_department=issuer)


@pytest.fixture
def citizen(db):
    return CitizenFactory(name="李四", address="示范市中原路1号")


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory()


@pytest.fixture
def make_licence(issuer, licence_type, citizen):
    def make(holder=None, **kwargs):
        values = {
            "licence_type": licence_type,
            "issuer": issuer,
            "holder": services.Holder.of(holder or citizen),
            "surface": {"address": "示范市中原路1号"},
            "issued_on": dt.date(2026, 6, 10),
        }
        values.update(kwargs)
        return services.issue(by=None, **values)

    return make
