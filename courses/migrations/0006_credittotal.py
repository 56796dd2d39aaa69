"""Adds CreditTotal, each cadre's ledger summed by year, and fills it from the existing ledger."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_totals(apps, schema_editor):
    """Sums the existing ledger into the new totals (one INSERT … SELECT … GROUP BY)."""
    from courses.services import credit_totals_rebuild

    credit_totals_rebuild(
        using=schema_editor.connection.alias,
        entry_model=apps.get_model("courses", "CreditEntry"),
        total_model=apps.get_model("courses", "CreditTotal"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0005_verbose_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CreditTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                (
                    "hours",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=8, verbose_name="hours"
                    ),
                ),
                (
                    "online_hours",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=8, verbose_name="of which online"
                    ),
                ),
                ("latest_at", models.DateTimeField(verbose_name="newest entry made at")),
                (
                    "cadre",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="credit_totals",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "credit-hour total",
                "verbose_name_plural": "credit-hour totals",
                "indexes": [
                    models.Index(fields=["cadre", "-latest_at"], name="credit_total_latest")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cadre", "year"), name="credit_total_per_cadre_year"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_totals, migrations.RunPython.noop),
    ]
