"""学习档案: a cadre's year gathered from enrollments, the ledger (reversals included), quiz and
mock-exam attempts, field practice, external training, offline sessions, qualification claims
and certificates; as a page and as a PDF; for the
cadre themself and for secretaries whose subtree holds them, 404 for anyone else; flat
query counts."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import prep_services
from assessments import services as quiz_services
from assessments.models import QualificationClaim
from certificates import services as certificate_services
from certificates.models import Certificate
from courses import services as course_services
from courses.models import CreditEntry, TrainingRequirement
from lms.archive import learning_archive
from lms.models import EvaluationSettings
from offline.models import Attendance, OfflineSession
from practice.models import ExternalClaim, PracticeLog, Status

from ..assessments.conftest import bank, make_quiz  # noqa: F401  (bank: a fixture)
from ..assessments.test_prep import answer, exam  # noqa: F401  (exam: a fixture)
from ..certificates.conftest import complete, read_pdf  # noqa: F401  (complete: a fixture)
from ..courses.conftest import catalogue, make_course  # noqa: F401  (catalogue: a fixture)
from ..queries import page_queries

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def grant(cadre, hours, source, *, kind=CreditEntry.Kind.OFFLINE_CLASS, year=YEAR, text="学时"):
    """A ledger entry through the ledger's own service."""
    return course_services.credit_grant(
        cadre=cadre, kind=kind, source=source, hours=Decimal(hours), description=text, year=year
    )


def ethics_quiz(people, bank):  # noqa: F811
    """Two one-point questions: answering one right scores 50 %, both 100 %."""
    return make_quiz(people.lecturer, [bank.single, bank.true_false], title="社工伦理小测验")


def take(quiz, cadre, *, right: int):
    """Submits an attempt at the ethics quiz with `right` of its two answers right."""
    attempt = quiz_services.attempt_start(quiz=quiz, cadre=cadre)
    choices = [{"助人自助", "正确"}, {"助人自助", "错误"}][right - 1] if right else {"管理控制"}
    return answer(attempt, lambda row: choices)


def claim(cadre, **fields):
    """A qualification claim as claim_submit records it (the scan already cleaned)."""
    return QualificationClaim.objects.create(
        cadre=cadre,
        qualification=fields.pop("qualification", "assistant"),
        exam_year=fields.pop("exam_year", YEAR),
        certificate_number=fields.pop("certificate_number", "S2026-0001"),
        scan=ContentFile(b"\xff\xd8scan", name="scan.jpg"),
        scan_type="image/jpeg",
        **fields,
    )


def practise(cadre, place, **fields):
    return PracticeLog.objects.create(
        cadre=cadre, date=timezone.localdate(), place=place,
        activity=PracticeLog.Activity.HOME_VISIT, description="走访独居老人",
        reflection="了解了老人的实际困难。" * 6, hours=Decimal("2"), **fields,
    )  # fmt: skip


def external(cadre, title):
    return ExternalClaim.objects.create(
        cadre=cadre, organiser="市委党校", title=title, start_date=timezone.localdate(),
        end_date=timezone.localdate(), hours=Decimal("3"), proof=ContentFile(b"%PDF-1.4", "p.pdf"),
        proof_type="application/pdf", proof_bytes=8,
    )  # fmt: skip


def attend(cadre, organization, title, *, by, **fields):
    starts = timezone.now()
    session = OfflineSession.objects.create(
        title=title, kind=OfflineSession.Kind.LECTURE, organization=organization,
        starts_at=starts, ends_at=starts + timezone.timedelta(hours=2), place="社区党群服务中心",
        hours=Decimal("4"), created_by=by,
    )  # fmt: skip
    return Attendance.objects.create(session=session, cadre=cadre, **fields)


@pytest.fixture
def record(people, tree, catalogue, bank, exam, complete):  # noqa: F811
    """A realistic year of 张秀英: a required course completed (with its certificate), one in
    progress, offline and practice hours with a reversal, external training, a quiz taken
    twice, a mock exam, a claim; plus last year's hours and another cadre's records."""
    required = make_course(catalogue, title="基层党组织建设", slug="jcdj", credit_hours=Decimal(2))
    started = make_course(catalogue, title="社区矛盾调解实务", slug="mdtj")
    requirement = TrainingRequirement.objects.create(
        name="社区干部年度学习", year=YEAR, organization=tree.osmanthus, total_hours=Decimal(20)
    )
    requirement.required_courses.add(required, started)
    complete(people.cadre, required, by=people.osmanthus_secretary)
    course_services.enrollment_create(cadre=people.cadre, course=started)
    grant(people.cadre, "3", "class:7", text="社区应急管理专题讲座")
    wrong = grant(people.cadre, "4.5", "practice:1", kind=CreditEntry.Kind.PRACTICE, text="走访")
    course_services.credit_reverse(entry=wrong, reason="重复登记，冲正", reversed_by=None)
    grant(people.cadre, "1", "ext:1", kind=CreditEntry.Kind.EXTERNAL, text="市委党校培训")
    grant(people.cadre, "6", "class:old", year=YEAR - 1, text="去年的讲座")
    quiz = ethics_quiz(people, bank)
    take(quiz, people.cadre, right=1)
    take(quiz, people.cadre, right=2)
    mock = answer(
        prep_services.mock_start(subject=exam, cadre=people.cadre), lambda row: {"对", "甲", "乙"}
    )
    claim(people.cadre)
    practise(people.cadre, "桂花园小区", status=Status.APPROVED, hours_approved=1.5)
    external(people.cadre, "社会工作实务研修班")
    attend(
        people.cadre, tree.osmanthus, "社区议事协商能力培训", by=people.osmanthus_secretary,
        status=Attendance.Status.PRESENT,
    )  # fmt: skip
    # someone else's year, which must never show in 张秀英's archive
    grant(people.sakura_cadre, "9", "class:sakura", text="樱花路社区专属讲座")
    take(quiz, people.sakura_cadre, right=2)
    claim(people.sakura_cadre, certificate_number="SAKURA-999")
    return SimpleNamespace(required=required, started=started, quiz=quiz, mock=mock)


class TestArchiveContents:
    def test_the_year_is_gathered_from_every_source(self, people, record):
        """Courses with progress and hours, the ledger with its reversal and totals against
        the requirement, quiz and mock results, the claim and the course certificate."""
        archive = learning_archive(people.cadre, year=YEAR)
        courses = {row.enrollment.course.title: row for row in archive.courses}
        assert courses["基层党组织建设"].hours == Decimal(2)
        assert courses["基层党组织建设"].percent == 100 and courses["基层党组织建设"].is_required
        assert courses["社区矛盾调解实务"].enrollment.completed_at is None
        assert courses["社区矛盾调解实务"].percent == 0
        assert (archive.required_done, archive.required_total) == (1, 2)
        ledger = archive.ledger
        assert [e.hours for e in ledger.entries] == [
            Decimal(h) for h in ("2", "3", "4.5", "-4.5", "1")
        ]
        assert ledger.entries[3].reversal_of_id == ledger.entries[2].pk
        assert {row.kind: row.hours for row in ledger.by_kind} == {
            CreditEntry.Kind.ONLINE_COURSE: Decimal(2),
            CreditEntry.Kind.OFFLINE_CLASS: Decimal(3),
            CreditEntry.Kind.PRACTICE: Decimal(0),
            CreditEntry.Kind.EXTERNAL: Decimal(1),
        }
        assert ledger.total == Decimal(6) and ledger.required_hours == Decimal(20)
        assert ledger.percent == 30
        assert [(a.score, a.max_score, a.passed) for a in archive.quizzes] == [
            (Decimal(1), Decimal(2), False),
            (Decimal(2), Decimal(2), True),
        ]
        assert [(m.quiz.exam_subject.name, m.score, m.percent) for m in archive.mocks] == [
            ("社会工作综合能力（初级）", Decimal(6), Decimal("75.0"))
        ]
        assert [c.certificate_number for c in archive.claims] == ["S2026-0001"]
        assert [(c.title, c.kind, c.is_valid) for c in archive.certificates] == [
            ("基层党组织建设", Certificate.Kind.COURSE, True)
        ]
        assert [(log.place, log.hours_approved) for log in archive.practice_logs] == [
            ("桂花园小区", Decimal("1.5"))
        ]
        assert [claim.title for claim in archive.external_claims] == ["社会工作实务研修班"]
        assert [(a.session.title, a.status) for a in archive.sessions] == [
            ("社区议事协商能力培训", Attendance.Status.PRESENT)
        ]
        assert archive.organization == people.cadre.memberships.get().organization
        assert archive.years == [YEAR, YEAR - 1]

    def test_another_year_holds_only_its_own_entries(self, people, record):
        """Last year's archive has last year's lecture and nothing of this year."""
        archive = learning_archive(people.cadre, year=YEAR - 1)
        assert [e.description for e in archive.ledger.entries] == ["去年的讲座"]
        assert archive.quizzes == archive.mocks == archive.certificates == []

    def test_a_revoked_certificate_shows_as_revoked(self, people, record):
        """A certificate revoked later in the year stays in the archive, marked revoked."""
        certificate = Certificate.objects.get(cadre=people.cadre)
        certificate_services.certificate_revoke(certificate=certificate, reason="信息有误", by=None)
        archive = learning_archive(people.cadre, year=YEAR)
        assert [c.is_valid for c in archive.certificates] == [False]


class TestArchivePages:
    def test_the_cadre_sees_their_own_year_and_nobody_elses(self, client, people, record):
        """/archive/ shows the cadre's records and none of the other cadre's."""
        client.force_login(people.cadre)
        page = client.get("/archive/").content.decode()
        for text in ("基层党组织建设", "社区应急管理专题讲座", "重复登记，冲正", "社工伦理小测验"):
            assert text in page
        assert "社会工作综合能力（初级）" in page and "S2026-0001" in page
        assert "樱花路社区专属讲座" not in page and "SAKURA-999" not in page
        assert "evaluation/adjust" not in page  # read-only for the cadre

    def test_year_links_and_another_year(self, client, people, record):
        """Years with ledger entries are linked; ?year= shows that year."""
        client.force_login(people.cadre)
        page = client.get("/archive/").content.decode()
        assert f'href="/archive/?year={YEAR - 1}"' in page
        older = client.get(f"/archive/?year={YEAR - 1}").content.decode()
        assert "去年的讲座" in older and "社区应急管理专题讲座" not in older
        assert client.get("/archive/?year=nonsense").status_code == 200

    def test_secretaries_of_the_subtree_see_it_others_get_404(self, client, people, record):
        """The street and community secretaries above the branch see the archive and PDF;
        a sibling community's or another street's secretary, and cadres, get 404."""
        url = f"/manage/cadre/{people.cadre.pk}/archive/"
        for secretary in (people.east_secretary, people.osmanthus_secretary, people.admin):
            client.force_login(secretary)
            assert "基层党组织建设" in client.get(url).content.decode()
        client.force_login(people.osmanthus_secretary)
        assert client.get(f"/manage/cadre/{people.sakura_cadre.pk}/archive/").status_code == 404
        assert (
            client.get(f"/manage/cadre/{people.sakura_cadre.pk}/archive/{YEAR}.pdf").status_code
            == 404
        )
        client.force_login(people.south_secretary)
        assert client.get(url).status_code == 404
        assert client.get(f"/manage/cadre/{people.cadre.pk}/archive/{YEAR}.pdf").status_code == 404
        client.force_login(people.sakura_cadre)
        assert client.get(url).status_code == 404
        assert client.get(f"/manage/cadre/{people.cadre.pk}/archive/{YEAR}.pdf").status_code == 404

    def test_anonymous_visitors_are_sent_to_log_in(self, client, people):
        """The own archive needs a login."""
        response = client.get("/archive/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_linked_from_the_cadre_page_and_the_home_page(self, client, people):
        """The secretary's cadre page and the cadre's 我的学习 link to the archive."""
        client.force_login(people.east_secretary)
        page = client.get(f"/manage/cadre/{people.cadre.pk}/").content.decode()
        assert f"/manage/cadre/{people.cadre.pk}/archive/" in page
        client.force_login(people.cadre)
        assert 'href="/archive/"' in client.get("/").content.decode()


class TestArchivePdf:
    def test_the_pdf_is_a_chinese_a4_document_with_every_section(
        self, client, people, record, tmp_path
    ):
        """A real A4 PDF, downloaded under a Chinese file name, whose text holds the name,
        the year, the organization, every section and the figures."""
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/cadre/{people.cadre.pk}/archive/{YEAR}.pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
        assert "%E5%BC%A0%E7%A7%80%E8%8B%B1" in disposition  # 张秀英
        path = tmp_path / "archive.pdf"
        path.write_bytes(response.content)
        pdf = read_pdf(path)
        assert "A4" in pdf.page_size
        for text in (
            f"张秀英{YEAR}年度学习档案",
            "桂花园社区第一党支部",
            "学时统计",
            "课程学习",
            "测验成绩",
            "模拟考试成绩",
            "职业资格申报",
            "证书",
            "考核评价",
            "基层党组织建设",
            "重复登记，冲正",
            "合计6",
            "社工伦理小测验",
            "2/2",
            "75%",
            "S20260001",  # compact() drops hyphens
            "实践锻炼与外部培训",
            "入户走访·桂花园小区",
            "社会工作实务研修班",
            "社区议事协商能力培训",
        ):
            assert text in pdf.compact, text
        assert "樱花路社区专属讲座" not in pdf.compact
        assert any("CID" in font or "TrueType" in font for font in pdf.fonts)

    def test_the_cadre_downloads_their_own_pdf_only(self, client, people, record, tmp_path):
        """/archive/<year>.pdf is the logged-in cadre's own archive."""
        client.force_login(people.sakura_cadre)
        response = client.get(f"/archive/{YEAR}.pdf")
        assert response.status_code == 200
        path = tmp_path / "own.pdf"
        path.write_bytes(response.content)
        text = read_pdf(path).compact
        assert "樱花路社区专属讲座" in text and "基层党组织建设" not in text
        assert client.get("/archive/1900.pdf").status_code == 404


def more_records(people, catalogue, bank, exam, n):  # noqa: F811
    """`n` more of every kind of row: courses, ledger entries, attempts, practice logs,
    external training, sessions, claims, certificates."""
    quiz = ethics_quiz(people, bank)
    home = people.cadre.memberships.get().organization
    for i in range(n):
        practise(people.cadre, f"小区{i}")
        external(people.cadre, f"研修班{i}")
        attend(people.cadre, home, f"讲座{i}", by=people.osmanthus_secretary)
        course = make_course(catalogue, title=f"加练课程{i}", slug=f"more-{i}", lessons=(5,))
        course_services.enrollment_create(cadre=people.cadre, course=course)
        grant(people.cadre, "1", f"more:{i}", kind=CreditEntry.Kind.EXTERNAL)
        take(quiz, people.cadre, right=i % 3)
        answer(prep_services.mock_start(subject=exam, cadre=people.cadre), lambda row: {"对"})
        claim(people.cadre, status="rejected", reason="扫描件不清晰", exam_year=YEAR - i)
        certificate_services.certificate_issue(
            cadre=people.cadre,
            kind=Certificate.Kind.CLASS,
            subject=f"more:{i}",
            title=f"加练证书{i}",
            hours=Decimal(1),
            completed_on=timezone.localdate(),
        )


def test_query_count_is_flat_as_the_archive_grows(client, people, record, catalogue, bank, exam):  # noqa: F811
    """The archive and the secretary's and the cadre's pages read the same number of queries
    with one or with four of every kind of row."""
    url = f"/manage/cadre/{people.cadre.pk}/archive/"
    EvaluationSettings.load()  # created on first use: not part of any page's count
    client.force_login(people.east_secretary)
    with CaptureQueriesContext(connection) as small_archive:
        learning_archive(people.cadre, year=YEAR)
    small_page = page_queries(client, url)
    client.force_login(people.cadre)
    small_own = page_queries(client, "/archive/")
    more_records(people, catalogue, bank, exam, 3)
    with CaptureQueriesContext(connection) as large_archive:
        archive = learning_archive(people.cadre, year=YEAR)
    assert len(archive.courses) == 5 and len(archive.certificates) == 4
    assert len(archive.quizzes) == 5 and len(archive.mocks) == 4
    assert len(archive.practice_logs) == len(archive.external_claims) == len(archive.sessions) == 4
    assert len(small_archive) == len(large_archive) == 13
    assert small_own == page_queries(client, "/archive/") == 20
    client.force_login(people.east_secretary)
    assert small_page == page_queries(client, url) == 22
