"""The catalogue names its licence types by reference (licences.LicenceType), not by name strings.

Every distinct name in use becomes a licence type unless one of that name exists: defined by the
department of the first item that produces it (or, for a name only materials use, of the first
item that asks for that material), 类型代码 = that department's USCC + the next free 3 digits,
holder kind 法人 when every item involved serves only 法人, else 自然人. Admins review them in
证照目录 afterwards. Going back restores the names.
"""

import django.db.models.deletion
from django.db import migrations, models


def _type_for(apps, name, department, organisation, codes):
    LicenceType = apps.get_model("licences", "LicenceType")
    found = LicenceType.objects.filter(name=name).first()
    if found is not None:
        return found
    n = 1
    while f"{department.uscc}{n:03d}" in codes:
        n += 1
    code = f"{department.uscc}{n:03d}"
    codes.add(code)
    return LicenceType.objects.create(
        name=name,
        code=code,
        defining_department=department,
        holder_kind="organisation" if organisation else "person",
    )


def forwards(apps, schema_editor):
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    Material = apps.get_model("catalog", "Material")
    ItemMaterial = apps.get_model("catalog", "ItemMaterial")
    LicenceType = apps.get_model("licences", "LicenceType")
    codes = set(LicenceType.objects.values_list("code", flat=True))
    types = {}
    for item in ServiceItem.objects.exclude(old_result_licence_type="").select_related("department").order_by("pk"):
        name = item.old_result_licence_type
        if name not in types:
            only_org = set(item.service_objects or []) == {"2"}
            types[name] = _type_for(apps, name, item.department, only_org, codes)
            types[name].issuing_departments.add(item.department)
        item.result_licence_type = types[name]
        item.save(update_fields=["result_licence_type"])
    for material in Material.objects.exclude(old_licence_type="").order_by("pk"):
        name = material.old_licence_type
        if name not in types:
            use = ItemMaterial.objects.filter(material=material).select_related("item__department").first()
            if use is None:
                continue  # a name no item asks for: nothing to attach it to
            only_org = set(use.item.service_objects or []) == {"2"}
            types[name] = _type_for(apps, name, use.item.department, only_org, codes)
        material.licence_type = types[name]
        material.save(update_fields=["licence_type"])


def backwards(apps, schema_editor):
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    Material = apps.get_model("catalog", "Material")
    for item in ServiceItem.objects.exclude(result_licence_type=None).select_related("result_licence_type"):
        item.old_result_licence_type = item.result_licence_type.name
        item.save(update_fields=["old_result_licence_type"])
    for material in Material.objects.exclude(licence_type=None).select_related("licence_type"):
        material.old_licence_type = material.licence_type.name
        material.save(update_fields=["old_licence_type"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_bundle_applications"),
        ("licences", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("serviceitem", "result_licence_type", "old_result_licence_type"),
        migrations.RenameField("material", "licence_type", "old_licence_type"),
        migrations.AddField(
            model_name="serviceitem",
            name="result_licence_type",
            field=models.ForeignKey(
                blank=True,
                help_text="办结后制发的电子证照",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="producing_items",
                to="licences.licencetype",
                verbose_name="结果证照类型",
            ),
        ),
        migrations.AddField(
            model_name="material",
            name="licence_type",
            field=models.ForeignKey(
                blank=True,
                help_text="持有该电子证照时此材料免提交",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="materials",
                to="licences.licencetype",
                verbose_name="可替代的电子证照类型",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField("serviceitem", "old_result_licence_type"),
        migrations.RemoveField("material", "old_licence_type"),
    ]
