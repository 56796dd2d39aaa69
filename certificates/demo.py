"""Demo certificates: the cadres of 桂花园社区 attended the emergency-management class, which
their community secretary marked complete, so they hold 培训证书 and can verify them."""

from django.db import transaction

from courses import services as course_services
from courses.models import CoursePage
from lms.models import Membership, User

CLASS_SLUG = "sqyj-fzjz"  # 社区应急管理与防灾减灾, an offline class of 8 hours
COMMUNITY_CODE = "jd01-sq01"
SECRETARY_USERNAME = "jd01-sq01_shuji"


def seed_certificates(*, stdout=None) -> None:
    course = CoursePage.objects.live().filter(slug=CLASS_SLUG).first()
    secretary = User.objects.filter(username=SECRETARY_USERNAME).first()
    if course is None or secretary is None:
        return
    cadres = User.objects.filter(
        memberships__role=Membership.Role.CADRE,
        memberships__organization__code__startswith=COMMUNITY_CODE,
    ).order_by("username")[:5]
    with transaction.atomic():  # the PDFs are produced once this commits
        for cadre in cadres:
            enrollment = course_services.enrollment_create(cadre=cadre, course=course)
            course_services.course_complete(enrollment=enrollment, by=secretary)
    if stdout is not None:
        stdout.write(f"Certificates: {len(cadres)} cadres completed 《{course.title}》.")
