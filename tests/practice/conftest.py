"""Practice fixtures: a course taught by `people.lecturer`, photo files and a way to submit
practice logs through the service."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from courses.models import CourseIndexPage, CoursePage, LecturerProfile
from lms.uploads import clean_upload
from practice import services
from practice.models import PracticeLog

from ..courses.conftest import catalogue, publish  # noqa: F401  (fixture)

REFLECTION = (
    "通过这次入户走访，我更加理解了居民的实际困难，也学会了如何耐心倾听、记录诉求并及时反馈给社区党委。"
    * 2
)


def jpeg(size=(800, 600), color=(200, 40, 40)) -> bytes:
    """A small real JPEG photo."""
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, format="JPEG")
    return output.getvalue()


def photo_upload(data: bytes | None = None, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type="image/jpeg")


def log_fields(**overrides) -> dict:
    """Valid fields of a practice log (as the form's cleaned data)."""
    return {
        "date": datetime.date.today() - datetime.timedelta(days=1),
        "activity": PracticeLog.Activity.HOME_VISIT,
        "place": "桂花园小区3号楼",
        "course": None,
        "hours": Decimal("2"),
        "description": "走访独居老人五户，登记需求。",
        "reflection": REFLECTION,
        **overrides,
    }


def submit_log(cadre, *, photos=0, **overrides) -> PracticeLog:
    """A practice log submitted by `cadre` through the service, with `photos` small photos."""
    prepared = [
        services.photo_prepare(clean_upload(photo_upload(), allow_pdf=False)) for _ in range(photos)
    ]
    return services.practice_log_submit(cadre=cadre, photos=prepared, **log_fields(**overrides))


@pytest.fixture
def taught_course(catalogue, people):  # noqa: F811
    """A published course whose lecturer profile belongs to `people.lecturer`."""
    course = publish(
        CourseIndexPage.objects.get(pk=catalogue.pk),
        CoursePage(title="入户走访实务", slug="rhzf", summary="入户走访的方法。"),
    )
    profile = LecturerProfile.objects.create(name="王老师", kind="expert", user=people.lecturer)
    course.lecturers.add(profile)
    course.save_revision().publish()
    return CoursePage.objects.get(pk=course.pk)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def claim_fields(**overrides) -> dict:
    """Valid fields of an external training claim."""
    return {
        "title": "社区工作者能力提升培训班",
        "organiser": "市民政局",
        "start_date": datetime.date.today() - datetime.timedelta(days=10),
        "end_date": datetime.date.today() - datetime.timedelta(days=8),
        "hours": Decimal("8"),
        **overrides,
    }


@pytest.fixture
def claim(people):
    """An external training claim of 8 hours by `people.cadre` with a PDF proof."""
    proof = clean_upload(SimpleUploadedFile("proof.pdf", PDF), allow_pdf=True)
    return services.external_claim_submit(cadre=people.cadre, proof=proof, **claim_fields())
