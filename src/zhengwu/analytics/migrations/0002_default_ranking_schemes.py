"""The default ranking schemes (排名方案) of departments, windows and county-level regions.

The weights store indicator keys only: an indicator that is not (yet) defined is ignored by the
ranking, which says so on the page, so this migration never depends on the indicator registry.
A scheme that exists already (edited by the administrator) is left as it is."""

from decimal import Decimal

from django.db import migrations

SCHEMES = {
    "department": (
        "部门月度综合排名",
        "办件效率、诉求办理和群众评价并重，按月考核，末位通报。",
        [
            ("app_on_time_rate", "25"),
            ("app_overdue", "10"),
            ("app_online_rate", "10"),
            ("app_completed", "10"),
            ("appeal_on_time_rate", "15"),
            ("appeal_satisfied_rate", "15"),
            ("rating_good_rate", "15"),
        ],
    ),
    "window": (
        "窗口月度综合排名",
        "窗口以办件量、按时办结和群众评价计分。",
        [
            ("app_accepted", "30"),
            ("app_on_time_rate", "30"),
            ("rating_good_rate", "25"),
            ("hall_wait", "15"),
        ],
    ),
    "region": (
        "县区月度综合排名",
        "县区以按时办结、网上办理和12345诉求办理计分。",
        [
            ("app_on_time_rate", "25"),
            ("app_online_rate", "20"),
            ("appeal_on_time_rate", "20"),
            ("appeal_satisfied_rate", "20"),
            ("rating_good_rate", "15"),
        ],
    ),
}


def seed(apps, schema_editor):
    RankingScheme = apps.get_model("analytics", "RankingScheme")
    RankingWeight = apps.get_model("analytics", "RankingWeight")
    for subject, (name, note, weights) in SCHEMES.items():
        assert sum(Decimal(w) for _, w in weights) == 100, subject
        scheme, created = RankingScheme.objects.get_or_create(subject=subject, defaults={"name": name, "note": note})
        if created:
            RankingWeight.objects.bulk_create(
                RankingWeight(scheme=scheme, indicator=key, weight=Decimal(w)) for key, w in weights
            )


def unseed(apps, schema_editor):
    apps.get_model("analytics", "RankingScheme").objects.filter(subject__in=list(SCHEMES)).delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
