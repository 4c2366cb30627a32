"""The category → department mapping lives on the appeals desk's categories (诉求分类 → 默认承办部门);
triage's own copy goes, after handing over any department it held that the desk's category lacked."""

from django.db import migrations


def hand_over(apps, schema_editor):
    mapping = apps.get_model("triage", "CategoryDepartment")
    category = apps.get_model("appeals", "Category")
    for row in mapping.objects.all():
        category.objects.filter(parent__isnull=True, name=row.category, department__isnull=True).update(
            department_id=row.department_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0002_hot_issues"),
        ("appeals", "0006_board_rollup"),
    ]

    operations = [
        migrations.RunPython(hand_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="CategoryDepartment"),
    ]
