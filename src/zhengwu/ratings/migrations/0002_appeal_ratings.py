"""The appeals desk's ratings move into the one rating record: each citizen's own 评价 of a closed
appeal (an appeal event "rate") and each 回访 that reached the citizen (a Callback with its 满意度).
The appeals keep them too, and keep showing them; the ratings part counts them from now on.

Each is attributed to the appeal's lead department (its latest 主办 assignment), else to the
department of the operator who registered it. One rater per appeal — the citizen, the enterprise,
or the contact phone — and the rounds (评价次数) are counted in time order over both kinds. Going
back removes what this made.
"""

import hashlib

from django.db import migrations


def _rater_key(appeal):  # as ratings.services.appeal_rater_key
    if appeal.citizen_id:
        return f"citizen:{appeal.citizen_id}"
    if appeal.enterprise_id:
        return f"enterprise:{appeal.enterprise_id}"
    if appeal.contact_phone:
        return "phone:" + hashlib.sha256(appeal.contact_phone.strip().encode()).hexdigest()[:32]
    return f"appeal:{appeal.pk}"


def _department(apps, appeal):
    Assignment = apps.get_model("appeals", "Assignment")
    lead = Assignment.objects.filter(appeal=appeal, role="lead").order_by("-created_at", "-pk").first()
    if lead is not None:
        return lead.department_id
    user = appeal.registered_by
    return getattr(user, "department_id", None) if user is not None else None


def forwards(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    AppealEvent = apps.get_model("appeals", "AppealEvent")
    Callback = apps.get_model("appeals", "Callback")
    Rating = apps.get_model("ratings", "Rating")
    appeal_ids = set(AppealEvent.objects.filter(action="rate").values_list("appeal_id", flat=True))
    appeal_ids |= set(Callback.objects.filter(reached=True).values_list("appeal_id", flat=True))
    made = []
    for appeal in Appeal.objects.filter(pk__in=appeal_ids).select_related("registered_by"):
        department_id = _department(apps, appeal)
        if department_id is None:
            raise RuntimeError(f"诉求{appeal.number}的评价找不到办理部门，无法迁移")
        entries = [
            (event.at, "rater", "pc", (event.data or {}).get("level"), (event.data or {}).get("comment", ""), event.actor_id)
            for event in AppealEvent.objects.filter(appeal=appeal, action="rate")
        ] + [
            (callback.at, "callback", "phone", callback.satisfaction, callback.note, None)
            for callback in Callback.objects.filter(appeal=appeal, reached=True)
        ]
        entries.sort(key=lambda e: e[0])
        for n, (at, source, channel, level, text, user_id) in enumerate(entries, start=1):
            made.append(
                Rating(
                    matter_kind="appeal",
                    matter_key=f"appeal:{appeal.pk}",
                    matter_number=appeal.number,
                    appeal=appeal,
                    department_id=department_id,
                    channel=channel,
                    source=source,
                    rater_key=_rater_key(appeal),
                    rater_user_id=user_id,
                    rater_name=appeal.contact_name,
                    real_name=bool(appeal.citizen_id or appeal.enterprise_id),
                    round=n,
                    level=int(level),
                    text=(text or "")[:1000],
                    rated_at=at,
                )
            )
    Rating.objects.bulk_create(made, batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("ratings", "Rating").objects.filter(matter_kind="appeal").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0001_initial"),
        ("appeals", "0009_open311_services"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
