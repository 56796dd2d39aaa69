"""Let lecturers manage question banks, categories, questions and quizzes in the Wagtail admin.

These are model permissions; assessments.wagtail_hooks narrows them to the banks a lecturer
owns or edits and to the quizzes they own.
"""

from django.db import migrations

MODELS = {
    "questionbank": "question bank",
    "questioncategory": "question category",
    "question": "question",
    "quiz": "quiz",
}
ACTIONS = ("add", "change", "delete", "view")


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    lecturers, _ = Group.objects.get_or_create(name="Lecturers")
    for model, verbose_name in MODELS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="assessments", model=model)
        for action in ACTIONS:
            # Permissions are normally created after migrating; make them now if they are not.
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {verbose_name}"},
            )
            lecturers.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    lecturers = Group.objects.filter(name="Lecturers").first()
    if lecturers is not None:
        lecturers.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="assessments",
                codename__in=[f"{a}_{m}" for m in MODELS for a in ACTIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("lms", "0003_home_page_content_and_lecturers"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
