"""The PDFs themselves, read back with poppler: Chinese text, embedded CJK font, size, paper."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from certificates import services
from certificates.models import Certificate, CertificateSettings
from certificates.tasks import RENDER_RETRIES, certificate_render_task
from courses import services as course_services
from lms import celery_app

from ..factories import make_cadre
from .conftest import compact, read_pdf, read_qr_codes

pytestmark = pytest.mark.django_db


def rendered(cadre, **fields) -> Certificate:
    values = {
        "kind": Certificate.Kind.COURSE,
        "subject": "course:1",
        "title": "党建引领社区治理的路径",
        "hours": Decimal("4"),
        "completed_on": datetime.date(2026, 11, 26),
    }
    certificate = services.certificate_issue(cadre=cadre, **(values | fields))
    return services.certificate_render(certificate_id=certificate.pk)


def test_course_certificate_carries_chinese_text_in_an_embedded_cjk_font(people):
    certificate = rendered(people.cadre)
    pdf = read_pdf(certificate.pdf.path)
    assert pdf.pages == 1 and "841.89 x 595.276" in pdf.page_size  # A4 landscape
    expected = ["结业证书", "张秀英", "党建引领社区治理的路径", "共计4学时", "中共和平区委组织部"]
    expected += [certificate.serial, certificate.code_display, certificate.verify_url]
    assert all(compact(text) in pdf.compact for text in expected), pdf.text
    assert len(pdf.fonts) == 1 and "LMS-Certificate-Serif" in pdf.fonts[0]
    assert pdf.fonts[0].split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, Unicode map
    assert certificate.pdf.size < 100 * 1024


def test_qr_code_leads_to_the_verification_page(people, tmp_path):
    certificate = rendered(people.cadre)
    assert read_qr_codes(certificate.pdf.path, tmp_path) == [certificate.verify_url]
    assert certificate.verify_url.startswith("http://127.0.0.1:8000/verify/")  # SITE_URL


def test_rare_characters_fall_back_to_the_full_font(people, tree):
    """喆 and 堃 are not in GB 2312: they print from Noto Serif CJK, never as tofu."""
    cadre = make_cadre(tree.branch, username="rare", name="王喆堃", mobile="13800000088")
    pdf = read_pdf(rendered(cadre).pdf.path)
    assert "王喆堃" in pdf.compact
    assert any("NotoSerifCJK" in font or "Noto-Serif-CJK" in font for font in pdf.fonts)


def test_training_certificate_title(people):
    pdf = read_pdf(rendered(people.cadre, kind=Certificate.Kind.CLASS).pdf.path)
    assert "培训证书" in pdf.compact and "参加“党建引领社区治理的路径”培训" in pdf.compact


def test_statement_lists_the_years_ledger_on_a4_portrait(people):
    for n in range(3):
        course_services.credit_grant(
            cadre=people.cadre, kind="online_course", source=f"course:{n}",
            hours=Decimal("1.5"), description=f"社区治理专题{n}", year=2026,
        )  # fmt: skip
    statement = services.statement_issue(cadre=people.cadre, year=2026)
    statement = services.certificate_render(certificate_id=statement.pk)
    pdf = read_pdf(statement.pdf.path)
    assert "595.276 x 841.89" in pdf.page_size  # A4 portrait
    assert (
        "2026年度继续教育学时证明" in pdf.compact and "累计完成继续教育学时4.5学时" in pdf.compact
    )
    assert all(f"社区治理专题{n}" in pdf.compact for n in range(3))
    assert "桂花园社区第一党支部" in pdf.compact
    assert len(pdf.fonts) == 1  # one weight: no second, synthesized-bold copy of the font
    assert statement.pdf.size < 100 * 1024


def test_admin_wording_and_signatories_appear(people):
    look = CertificateSettings.load()
    look.issuer = "中共东湖街道工作委员会"
    look.second_signatory = "党校 校长"
    look.course_wording = "{name}同志于{date}学完《{title}》，计{hours}学时。{unknown}"
    look.save()
    text = read_pdf(rendered(people.cadre).pdf.path).compact
    assert "中共东湖街道工作委员会" in text and "党校校长" in text
    assert "张秀英同志于2026年11月26日学完《党建引领社区治理的路径》，计4学时。{unknown}" in text


def test_rendering_twice_keeps_one_file(people):
    certificate = rendered(people.cadre)
    again = services.certificate_render(certificate_id=certificate.pk)
    assert again.pdf.name == certificate.pdf.name and again.render_attempts == 1


def test_unwritable_storage_is_retried_then_fails_visibly(people, settings, tmp_path):
    """Each failed store is recorded for admins; the task retries (with back-off in a worker,
    at once here) and the last allowed attempt marks the certificate failed."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker)
    certificate = services.certificate_issue(
        cadre=people.cadre, kind=Certificate.Kind.COURSE, subject="course:9", title="课程",
        hours=Decimal("1"), completed_on=datetime.date(2026, 11, 26),
    )  # fmt: skip

    celery_app.conf.task_eager_propagates = False  # as in a worker: retries run
    try:
        result = certificate_render_task.apply(args=[certificate.pk])
    finally:
        celery_app.conf.task_eager_propagates = True
    certificate.refresh_from_db()
    assert result.state == "FAILURE" and isinstance(result.result, NotADirectoryError)
    assert certificate.status == Certificate.Status.FAILED
    assert certificate.render_attempts == RENDER_RETRIES + 1
    assert certificate.last_error.startswith("NotADirectoryError")


@pytest.mark.parametrize(
    "serial_format", ["{year}-{org}", "{year}-{unknown}-{seq}", "{seq:q}", "{year}-{org}-{seq"]
)
def test_bad_serial_formats_are_refused(serial_format):
    look = CertificateSettings(serial_format=serial_format)
    with pytest.raises(ValidationError):
        look.clean()


def test_a_file_left_by_a_dead_attempt_is_replaced(people):
    """A worker killed after storing the PDF but before committing: the retry replaces the
    orphan instead of storing a second copy beside it."""
    from django.core.files.base import ContentFile

    certificate = services.certificate_issue(
        cadre=people.cadre, kind=Certificate.Kind.COURSE, subject="course:7", title="课程",
        hours=Decimal("1"), completed_on=datetime.date(2026, 11, 26),
    )  # fmt: skip
    field = Certificate._meta.get_field("pdf")
    expected = field.generate_filename(certificate, f"{certificate.serial}.pdf")
    field.storage.save(expected, ContentFile(b"half-written"))
    rendered_again = services.certificate_render(certificate_id=certificate.pk)
    assert rendered_again.pdf.name == expected
    folder = Path(rendered_again.pdf.path).parent
    assert [p.name for p in folder.glob(f"{certificate.serial}*")] == [f"{certificate.serial}.pdf"]
    assert Path(rendered_again.pdf.path).read_bytes().startswith(b"%PDF")
