"""Demo city: the default handling department of each first-level 诉求分类, so that triage
suggestions and the dispatch form name a department from the start. Sets only what is still
empty: an administrator's choice is never overwritten."""

from __future__ import annotations

from zhengwu.org.models import Department

from .models import Category

DEFAULT_DEPARTMENTS = {
    "城乡建设": "示范市住房和城乡建设局",
    "环境保护": "示范市生态环境局",
    "交通运输": "示范市交通运输局",
    "教育文体": "示范市教育局",
    "劳动和社会保障": "示范市人力资源和社会保障局",
    "商贸旅游": "示范市市场监督管理局",
    "卫生计生": "示范市卫生健康委员会",
}


def load_demo_category_departments() -> None:
    departments = {d.name: d for d in Department.objects.filter(name__in=DEFAULT_DEPARTMENTS.values())}
    for category, name in DEFAULT_DEPARTMENTS.items():
        if name in departments:
            Category.objects.filter(parent__isnull=True, name=category, department__isnull=True).update(
                department=departments[name]
            )


def publish_demo_services() -> int:
    """The demo city publishes every active category with a service code in Open311 (migration
    0009 gives the seeded ones stable codes), so that an outside client can list and file at once.
    Only on a desk where nothing is published yet: an administrator's choice is never undone.
    Returns how many were published."""
    if Category.objects.filter(open311_published=True).exists():
        return 0
    coded = Category.objects.filter(is_active=True, parent__isnull=False, service_code__isnull=False).exclude(
        service_code=""
    )
    return coded.update(open311_published=True)
