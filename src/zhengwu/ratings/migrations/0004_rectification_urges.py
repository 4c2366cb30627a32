"""催办 of 差评整改 cases (RectificationUrge)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ratings', '0003_pads_invitations_samples'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RectificationUrge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('threshold', models.CharField(max_length=40, verbose_name='催办类型')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='催办说明')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='催办时间')),
                ('by', models.ForeignKey(blank=True, help_text='空为定时催办', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='催办人')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='urges', to='ratings.rectification', verbose_name='差评整改')),
            ],
            options={
                'verbose_name': '差评整改催办',
                'verbose_name_plural': '差评整改催办',
                'ordering': ['created_at', 'id'],
                'constraints': [models.UniqueConstraint(fields=('case', 'threshold'), name='rectification_urged_once_per_threshold')],
            },
        ),
    ]
