"""Issuing: once per achievement, gapless serials, codes, revocation, re-issue, statements."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from certificates import codes, services
from certificates.models import Certificate, CertificateSettings
from courses import services as course_services

from ..factories import make_cadre

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 26)


def issue(cadre, subject="course:1", **fields):
    values = {
        "kind": Certificate.Kind.COURSE,
        "title": "居民自治与协商议事",
        "hours": Decimal("2"),
        "completed_on": TODAY,
    }
    return services.certificate_issue(cadre=cadre, subject=subject, **(values | fields))


class TestOnCompletion:
    def test_completion_issues_one_rendered_certificate(self, people, course, complete):
        """结业证书 for an online course, with the course's hours, rendered on commit."""
        complete(people.cadre, course)
        certificate = Certificate.objects.get()
        assert certificate.kind == Certificate.Kind.COURSE
        assert (certificate.cadre, certificate.subject) == (people.cadre, f"course:{course.pk}")
        assert certificate.title == course.title and certificate.hours == Decimal("0.5")
        assert certificate.holder_name == "张秀英"
        assert certificate.status == Certificate.Status.ISSUED and certificate.pdf

    def test_completing_again_issues_nothing_new(self, people, course, complete):
        """A secretary marking a completed course complete again does not duplicate."""
        complete(people.cadre, course)
        complete(people.cadre, course, by=people.osmanthus_secretary)
        assert Certificate.objects.count() == 1

    def test_offline_course_gives_a_training_certificate(self, people, offline_course, complete):
        complete(people.cadre, offline_course, by=people.osmanthus_secretary)
        certificate = Certificate.objects.get()
        assert certificate.kind == Certificate.Kind.CLASS and certificate.hours == Decimal("4")

    def test_a_failing_issue_rolls_the_completion_back(self, people, course):
        """Completion and certificate record commit together or not at all."""
        enrollment = course_services.enrollment_create(cadre=people.cadre, course=course)
        look = CertificateSettings.load()
        look.serial_format = "{year}-{unknown}"
        look.save()  # save() skips the form's validation
        with pytest.raises(KeyError):
            course_services.course_complete(enrollment=enrollment, by=None)
        enrollment.refresh_from_db()
        assert enrollment.completed_at is None
        assert not people.cadre.credit_entries.exists() and not Certificate.objects.exists()


class TestSerialsAndCodes:
    def test_serials_count_per_year_and_organization(self, people, tree):
        """year-organization-sequence, each organization from 1, every year from 1 again."""
        neighbour = make_cadre(tree.branch, username="n2", mobile="13800000099")
        first = issue(people.cadre, "course:1")
        second = issue(neighbour, "course:1")
        elsewhere = issue(people.sakura_cadre, "course:1")
        next_year = issue(people.cadre, "course:2", completed_on=datetime.date(2027, 1, 2))
        assert first.serial == "2026-jd01-sq01-zb1-00001"
        assert second.serial == "2026-jd01-sq01-zb1-00002"
        assert elsewhere.serial == "2026-jd01-sq02-00001"
        assert next_year.serial == "2027-jd01-sq01-zb1-00001"

    def test_a_rolled_back_issue_leaves_no_gap(self, people):
        issue(people.cadre, "course:1")
        with pytest.raises(RuntimeError), transaction.atomic():
            issue(people.cadre, "course:2")
            raise RuntimeError("the completion failed after all")
        assert issue(people.cadre, "course:3").serial.endswith("-00002")

    def test_serial_format_is_configurable(self, people):
        settings = CertificateSettings.load()
        settings.serial_format = "HP{year}{org}第{seq:04d}号"
        settings.save()
        assert issue(people.cadre).serial == "HP2026jd01-sq01-zb1第0001号"

    def test_codes_are_random_unique_and_grouped(self, people, tree):
        certificates = [
            issue(make_cadre(tree.branch, username=f"c{n}", mobile=f"1390000{n:04d}"))
            for n in range(30)
        ]
        stored = {certificate.code for certificate in certificates}
        assert len(stored) == 30
        assert all(len(code) == 20 and set(code) <= set(codes.ALPHABET) for code in stored)
        shown = certificates[0].code_display
        assert len(shown) == 23 and shown.count("-") == 3

    def test_typed_codes_are_read_leniently(self):
        code = "0123456789ABCDEFGHJK"
        assert codes.normalize(" o1234-56789 abcde fghjk ") == code
        assert codes.normalize("0I23456789ABCDEFGHJK") == "01" + code[2:]
        assert codes.normalize("0123456789ABCDEFGHJ") is None  # 19 characters
        assert codes.normalize("0123456789ABCDEFGHJU") is None  # U is never used
        assert codes.normalize("") is None

    def test_name_masking(self):
        assert codes.mask_name("张秀英", "middle") == "张*英"
        assert codes.mask_name("欧阳秀英", "middle") == "欧**英"
        assert codes.mask_name("张三", "middle") == "张*"
        assert codes.mask_name("张秀英", "surname") == "张**"
        assert codes.mask_name("张秀英", "full") == "张秀英"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issuing_is_gapless(tree):
    """Eight threads issue at once for eight cadres of one branch: serials 1…8, no gaps."""
    if connection.vendor == "sqlite":
        # SQLite allows one writer at a time; the point is PostgreSQL's row lock.
        pytest.skip("concurrent writers need PostgreSQL")
    cadres = [make_cadre(tree.branch, username=f"t{n}", mobile=f"1391111{n:04d}") for n in range(8)]
    barrier = threading.Barrier(len(cadres))
    errors = []

    def worker(cadre):
        try:
            barrier.wait()
            with transaction.atomic():
                issue(cadre)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(cadre,)) for cadre in cadres]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    serials = sorted(Certificate.objects.values_list("serial", flat=True))
    assert serials == [f"2026-jd01-sq01-zb1-{n:05d}" for n in range(1, 9)]


class TestRevocation:
    def test_revoke_needs_a_reason_and_is_idempotent(self, people, admin_user):
        certificate = issue(people.cadre)
        with pytest.raises(ValueError):
            services.certificate_revoke(certificate=certificate, reason="  ", by=admin_user)
        first = services.certificate_revoke(certificate=certificate, reason="信息有误", by=None)
        again = services.certificate_revoke(certificate=certificate, reason="另一个原因", by=None)
        assert first.revoked_at == again.revoked_at and again.revoked_reason == "信息有误"

    def test_reissue_revokes_the_old_and_numbers_a_new_one(self, people):
        old = issue(people.cadre)
        new = services.certificate_reissue(certificate=old, reason="姓名更正", by=None)
        old.refresh_from_db()
        assert not old.is_valid and old.replaced_by == new
        assert new.is_valid and new.subject == old.subject
        assert new.serial != old.serial and new.code != old.code

    def test_only_one_valid_certificate_per_achievement_in_the_database(self, people):
        """The partial unique constraint, not only the service, forbids a second valid one."""
        from django.db import IntegrityError

        old = issue(people.cadre)
        duplicate = Certificate(
            cadre=old.cadre, kind=old.kind, subject=old.subject, title="x", hours=1,
            year=2026, completed_on=TODAY, holder_name="x", serial="X-1", code=codes.new(),
        )  # fmt: skip
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()


class TestStatement:
    def grant(self, cadre, source, hours, year=2026):
        return course_services.credit_grant(
            cadre=cadre, kind="online_course", source=source, hours=Decimal(hours),
            description=f"课程 {source}", year=year,
        )  # fmt: skip

    def test_statement_sums_the_year(self, people):
        self.grant(people.cadre, "a", "1.5")
        self.grant(people.cadre, "b", "2")
        self.grant(people.cadre, "c", "9", year=2025)
        statement = services.statement_issue(cadre=people.cadre, year=2026)
        assert statement.kind == Certificate.Kind.STATEMENT and statement.hours == Decimal("3.5")
        assert statement.title == "2026年度继续教育学时证明"
        assert services.statement_issue(cadre=people.cadre, year=2026) == statement

    def test_new_hours_replace_the_statement(self, people):
        entry = self.grant(people.cadre, "a", "1.5")
        first = services.statement_issue(cadre=people.cadre, year=2026)
        course_services.credit_reverse(entry=entry, reason="重复记录", reversed_by=None)
        second = services.statement_issue(cadre=people.cadre, year=2026)
        first.refresh_from_db()
        assert second.hours == Decimal("0") and first.replaced_by == second
        assert first.revoked_reason == "学时记录已更新，已重新开具"


def test_sweep_renders_certificates_left_pending(people):
    """Pending longer than the grace period (its render was never sent): rendered now;
    a fresh one is left to the render already on its way."""
    old = issue(people.cadre, "course:1")  # on-commit work never runs in this test
    fresh = issue(people.cadre, "course:2")
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Certificate.objects.filter(pk=old.pk).update(issued_at=an_hour_ago)
    assert services.pending_sweep() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == Certificate.Status.ISSUED and old.pdf
    assert fresh.status == Certificate.Status.PENDING and not fresh.pdf
