"""Create the course catalogue, let lecturers author courses in it, and moderate what they submit.

- The CourseIndexPage "课程中心" (/courses/) below the home page, unless one exists.
- "Lecturers" get add_page on the catalogue: they create courses and lessons and edit only
  the pages they own. No change_page (editing others' pages) and no publish_page.
- "Course moderators" (a new group) enter the admin and get add/change/publish on the catalogue.
- The workflow "课程发布审核" with one group-approval task "组织部审核" (approved by the course
  moderators, or by any superuser) applies to the catalogue and everything below it, so a
  lecturer's course goes live only once it is approved.
"""

from django.db import migrations
from django.utils import timezone

CATALOGUE_TITLE = "课程中心"
CATALOGUE_SLUG = "courses"
CATALOGUE_INTRO = (
    "<p>围绕党建引领社区治理，提供党建理论、社区治理、法律法规、社会工作实务、群众工作和"
    "应急管理等方面的课程。线上课程随时学习、学时自动记录；线下课堂和专题讲座由所在党组织"
    "组织参加。</p>"
)
LECTURERS_GROUP = "Lecturers"
MODERATORS_GROUP = "Course moderators"
WORKFLOW_NAME = "课程发布审核"
TASK_NAME = "组织部审核"

STEPLEN = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _child_path(parent_path, last_child_path):
    """The treebeard materialized path of a new last child (base 36, four characters a step)."""
    number = 1 if last_child_path is None else int(last_child_path[-STEPLEN:], 36) + 1
    step = ""
    while number:
        number, digit = divmod(number, len(ALPHABET))
        step = ALPHABET[digit] + step
    return parent_path + step.rjust(STEPLEN, "0")


def _catalogue(apps):
    """The existing catalogue page, or a new published one below the home page."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    CourseIndexPage = apps.get_model("courses.CourseIndexPage")

    catalogue = CourseIndexPage.objects.order_by("path").first()
    if catalogue is not None:
        return catalogue

    home = Page.objects.filter(content_type__app_label="lms", content_type__model="homepage")
    home = home.order_by("path").first() or Page.objects.get(path="00010001")
    last_child = (
        Page.objects.filter(path__startswith=home.path, depth=home.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    content_type, _ = ContentType.objects.get_or_create(
        app_label="courses", model="courseindexpage"
    )
    now = timezone.now()
    catalogue = CourseIndexPage.objects.create(
        title=CATALOGUE_TITLE,
        draft_title=CATALOGUE_TITLE,
        slug=CATALOGUE_SLUG,
        content_type=content_type,
        path=_child_path(home.path, last_child),
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{CATALOGUE_SLUG}/",
        locale_id=home.locale_id,
        live=True,
        has_unpublished_changes=False,
        first_published_at=now,
        last_published_at=now,
        intro=CATALOGUE_INTRO,
    )
    Page.objects.filter(pk=home.pk).update(
        numchild=Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).count()
    )
    return catalogue


def _permission(apps, app_label, model, codename, name):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return permission


def _page_permission(apps, codename, name):
    return _permission(apps, "wagtailcore", "page", codename, name)


def set_up_catalogue(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")

    catalogue = _catalogue(apps)

    add_page = _page_permission(apps, "add_page", "Can add page")
    change_page = _page_permission(apps, "change_page", "Can change page")
    publish_page = _page_permission(apps, "publish_page", "Can publish page")
    access_admin = _permission(
        apps, "wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"
    )

    lecturers, _ = Group.objects.get_or_create(name=LECTURERS_GROUP)
    lecturers.permissions.add(access_admin)
    GroupPagePermission.objects.get_or_create(
        group=lecturers, page_id=catalogue.pk, permission=add_page
    )

    moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    moderators.permissions.add(access_admin)
    for permission in (add_page, change_page, publish_page):
        GroupPagePermission.objects.get_or_create(
            group=moderators, page_id=catalogue.pk, permission=permission
        )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type, active=True)
    task.groups.add(moderators)

    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page_id=catalogue.pk, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_initial"),
        ("lms", "0003_home_page_content_and_lecturers"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
    ]

    operations = [
        migrations.RunPython(set_up_catalogue, migrations.RunPython.noop),
    ]
