"""On PostgreSQL, a trigram index lets the catalogue's substring search (LIKE '%社区治理%')
skip lessons that cannot match instead of reading every lesson's text. Other databases (and
PostgreSQL roles that may not create the pg_trgm extension) keep the plain scan."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

INDEX = "courses_lessonpage_plain_text_trgm"


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON courses_lessonpage "
                "USING gin (plain_text gin_trgm_ops)"
            )
    except DatabaseError as error:
        logger.warning("No trigram index for lesson search (%s); search still works.", error)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("courses", "0003_credit_rules_reading_speed")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
