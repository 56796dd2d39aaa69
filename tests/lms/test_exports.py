"""Exports handed upward: the per-cadre table and the per-organization summary as Excel and
CSV, honouring the page's filters; large ones as a background job with progress and a download
for the requester only; flat query counts and scoped access."""

import csv
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from courses import services as course_services
from courses.models import CreditEntry, Enrollment
from lms.models import CadreProfile, Export, Membership

from ..courses.conftest import catalogue, make_course  # noqa: F401  (catalogue: a fixture)
from ..factories import make_cadre, make_secretary
from ..queries import page_queries
from .test_tracking import YEAR, grant, requirement

pytestmark = pytest.mark.django_db

TODAY = f"{timezone.localdate():%Y-%m-%d}"
CADRE_HEADERS = [
    "姓名",
    "手机号",
    "所在组织",
    "职务",
    "人员类别",
    "政治面貌",
    "本年学时",
    "其中线上学时",
    "要求学时",
    "完成率",
    "必修课完成",
    "是否滞后",
]
SUMMARY_HEADERS = [
    "组织",
    "干部人数",
    "有学时要求人数",
    "达标人数",
    "达标率",
    "必修课完成率",
    "模拟考试参加人数",
    "学时合计",
]


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


def workbook_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def grant_online(cadre, hours, source):
    return course_services.credit_grant(
        cadre=cadre,
        kind=CreditEntry.Kind.ONLINE_COURSE,
        source=source,
        hours=Decimal(hours),
        description="线上课程",
        year=YEAR,
    )


@pytest.fixture
def east_with_hours(tree, people, catalogue):  # noqa: F811
    """东湖街道: a 32-hour requirement with one required course; 张秀英 has 14.5 hours (2
    online) and the course done; 35 more cadres at 樱花路 have nothing yet."""
    course = make_course(catalogue, title="社区治理", slug="zl")
    requirement(tree.east, "32", courses=[course])
    grant(people.cadre, "12.5", "class:1")
    grant_online(people.cadre, "2", "course:1")
    Enrollment.objects.create(cadre=people.cadre, course=course, completed_at=timezone.now())
    for n in range(35):  # more than one page of the organization page
        make_cadre(tree.sakura, mobile=f"137{n:08d}", name=f"干部{n:02d}")
    return tree.east


class TestCadreTable:
    def test_the_workbook_has_title_meta_headers_and_every_cadre_with_numbers(
        self, client, people, east_with_hours
    ):
        """Title, 组织/年度/导出日期 line, Chinese headers, one row per cadre of the subtree;
        hours are numbers and the completion rate a fraction shown as a percentage."""
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{east_with_hours.pk}/export.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        title = f"东湖街道党工委{YEAR}年学时完成情况"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=utf-8''{quote(title + '.xlsx')}" in disposition
        data = content_of(response)
        rows = workbook_rows(data)
        assert rows[0][0] == title
        assert rows[1][0] == f"组织：东湖街道党工委　年度：{YEAR}　导出日期：{TODAY}"
        assert list(rows[2]) == CADRE_HEADERS
        cadres = {row[1]: row for row in rows[3:]}
        assert len(cadres) == 37  # 张秀英, the 樱花路 cadre and 35 more; not 新华里's
        zhang = cadres["13800000001"]
        assert zhang[:6] == ("张秀英", "13800000001", "桂花园社区第一党支部", "网格员",
                             "退休党员", "中共党员")  # fmt: skip
        assert zhang[6:] == (14.5, 2, 32, 0.45, "1/1", "是")
        assert cadres["13700000000"][6:] == (0, 0, 32, 0, "0/1", "是")

        sheet = load_workbook(io.BytesIO(data)).active
        assert "A1:L1" in {str(cells) for cells in sheet.merged_cells.ranges}
        assert sheet["A1"].font.bold and sheet["A3"].font.bold
        zhang_row = next(r for r in sheet.iter_rows(min_row=4) if r[1].value == "13800000001")
        assert zhang_row[9].number_format == "0%"
        assert sheet.column_dimensions["C"].width > sheet.column_dimensions["A"].width

    def test_choices_are_written_in_chinese_whatever_the_language_of_the_page(
        self, client, people, tree
    ):
        """A secretary reading the site in English still gets the Chinese report."""
        client.force_login(people.east_secretary)
        client.cookies["django_language"] = "en"
        rows = csv_rows(content_of(client.get(f"/manage/org/{tree.branch.pk}/export.csv")))
        assert rows[3][3:6] == ["网格员", "退休党员", "中共党员"]

    def test_names_that_look_like_formulas_stay_text(self, client, people, tree):
        """A name such as =HYPERLINK(…) is text in the workbook and quoted in the CSV."""
        make_cadre(tree.branch, name='=HYPERLINK("http://x.example","点我")', mobile="13900000005")
        client.force_login(people.east_secretary)
        url = f"/manage/org/{tree.branch.pk}/export"
        data = content_of(client.get(f"{url}.xlsx"))
        sheet = load_workbook(io.BytesIO(data)).active
        cell = next(r[0] for r in sheet.iter_rows(min_row=4) if r[1].value == "13900000005")
        assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
        rows = csv_rows(content_of(client.get(f"{url}.csv")))
        assert ['\'=HYPERLINK("http://x.example","点我")', "13900000005"] in [
            row[:2] for row in rows
        ]

    def test_csv_has_a_bom_and_the_same_rows_as_text(self, client, people, east_with_hours):
        """CSV: UTF-8 with BOM, the same title, meta line, headers and cadres as the workbook."""
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{east_with_hours.pk}/export.csv")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert quote(f"东湖街道党工委{YEAR}年学时完成情况.csv") in response["Content-Disposition"]
        rows = csv_rows(content_of(response))
        assert rows[0] == [f"东湖街道党工委{YEAR}年学时完成情况"]
        assert rows[1] == [f"组织：东湖街道党工委　年度：{YEAR}　导出日期：{TODAY}"]
        assert rows[2] == CADRE_HEADERS
        cadres = {row[1]: row for row in rows[3:]}
        assert len(cadres) == 37
        assert cadres["13800000001"][6:] == ["14.5", "2", "32", "45%", "1/1", "是"]

    def test_filters_of_the_page_are_honoured(self, client, people, tree):
        """behind=1 exports only the cadres behind their requirement, q only the ones found,
        position / member_type / party_status only theirs, in the page's sort order."""
        requirement(tree.osmanthus, "20")
        requirement(tree.east, "8", member_types=[CadreProfile.MemberType.RETIRED])
        grant(people.cadre, "10", "class:1")  # 20 required (strictest): behind
        grant(people.sakura_cadre, "9", "class:1")  # 8 required: done
        staff = make_cadre(tree.sakura, mobile="13900000001", name="李明")
        CadreProfile.objects.filter(user=staff).update(member_type=CadreProfile.MemberType.STAFF)
        client.force_login(people.east_secretary)
        url = f"/manage/org/{tree.east.pk}/export"

        behind = workbook_rows(content_of(client.get(f"{url}.xlsx?behind=1")))[3:]
        assert [row[1] for row in behind] == ["13800000001"]
        assert behind[0][11] == "是"
        everyone = {row[1]: row for row in csv_rows(content_of(client.get(f"{url}.csv")))[3:]}
        assert set(everyone) == {"13800000001", "13800000002", "13900000001"}
        assert everyone["13800000002"][11] == "否" and everyone["13900000001"][11] == ""
        found = csv_rows(content_of(client.get(f"{url}.csv?q=李")))[3:]
        assert [row[0] for row in found] == ["李明"]
        staff_only = csv_rows(content_of(client.get(f"{url}.csv?member_type=staff")))[3:]
        assert [row[0] for row in staff_only] == ["李明"]
        CadreProfile.objects.filter(user=people.cadre).update(
            position=CadreProfile.Position.DIRECTOR,
            party_status=CadreProfile.PartyStatus.PROBATIONARY,
        )
        directors = csv_rows(content_of(client.get(f"{url}.csv?position=director")))[3:]
        assert [row[0] for row in directors] == ["张秀英"]
        probationary = f"{url}.xlsx?party_status=probationary&behind=1"
        assert [row[0] for row in workbook_rows(content_of(client.get(probationary)))[3:]] == [
            "张秀英"
        ]
        by_hours = csv_rows(content_of(client.get(f"{url}.csv?sort=-hours")))[3:]
        assert [row[6] for row in by_hours] == ["10", "9", "0"]
        by_fewest = csv_rows(content_of(client.get(f"{url}.csv?sort=hours")))[3:]
        assert [row[6] for row in by_fewest] == ["0", "9", "10"]

    def test_query_count_is_flat_with_2_or_12_cadres(self, client, people, tree, catalogue):  # noqa: F811
        """The inline export reads the same number of queries whatever the number of cadres."""
        course = make_course(catalogue, title="社区治理", slug="zl")
        requirement(tree.east, "32", courses=[course])
        for cadre in (people.cadre, people.sakura_cadre):
            grant(cadre, "3", "class:1")
            Enrollment.objects.create(cadre=cadre, course=course, completed_at=timezone.now())
        client.force_login(people.east_secretary)
        url = f"/manage/org/{tree.east.pk}/export.xlsx"
        small = page_queries(client, url)
        for n in range(10):
            cadre = make_cadre(tree.sakura if n % 2 else tree.branch, mobile=f"136{n:08d}")
            grant(cadre, "2", "class:1")
            grant_online(cadre, "1.5", "course:2")
            Enrollment.objects.create(cadre=cadre, course=course, completed_at=timezone.now())
        assert len(workbook_rows(content_of(client.get(url)))) == 3 + 12
        # user, managed paths, organization; count; requirements and their courses; the
        # cadres; their completed required enrollments
        assert small == page_queries(client, url) == 8
        assert small == page_queries(client, url + "?behind=1") == 8
        assert page_queries(client, url.replace(".xlsx", ".csv")) == 8


class TestSummary:
    def test_one_row_per_sub_organization_then_the_total(self, client, people, east_with_hours):
        """A row per direct sub-organization (its whole subtree), the organization's own
        cadres, and 合计, with numbers as numbers."""
        direct = make_cadre(east_with_hours, mobile="13900000009", name="王直属")
        grant(direct, "40", "class:9")
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{east_with_hours.pk}/summary.xlsx")
        title = f"东湖街道党工委{YEAR}年学时完成情况汇总"
        assert quote(f"{title}.xlsx") in response["Content-Disposition"]
        rows = workbook_rows(content_of(response))
        assert rows[0][0] == title
        assert rows[1][0] == f"组织：东湖街道党工委　年度：{YEAR}　导出日期：{TODAY}"
        assert list(rows[2]) == SUMMARY_HEADERS
        assert rows[3:] == [
            ("桂花园社区党委", 1, 1, 0, 0, 1, 0, 14.5),
            ("樱花路社区党委", 36, 36, 0, 0, 0, 0, 0),
            ("东湖街道党工委（本级直属）", 1, 1, 1, 1, 0, 0, 40),
            ("合计", 38, 38, 1, 0.03, 0.03, 0, 54.5),
        ]

    def test_csv_summary_has_a_bom_and_the_same_rows(self, client, people, east_with_hours):
        """The summary as CSV: UTF-8 with BOM, percentages as "3%"."""
        client.force_login(people.east_secretary)
        response = client.get(f"/manage/org/{east_with_hours.pk}/summary.csv")
        rows = csv_rows(content_of(response))
        assert rows[0] == [f"东湖街道党工委{YEAR}年学时完成情况汇总"]
        assert rows[2] == SUMMARY_HEADERS
        assert rows[3:] == [
            ["桂花园社区党委", "1", "1", "0", "0%", "100%", "0", "14.5"],
            ["樱花路社区党委", "36", "36", "0", "0%", "0%", "0", "0"],
            ["合计", "37", "37", "0", "0%", "3%", "0", "14.5"],
        ]

    def test_query_count_does_not_grow_with_sub_organizations(self, client, people, tree):
        """The summary's queries stay the same with more sub-organizations and cadres."""
        requirement(tree.district, "12")
        client.force_login(people.admin)
        url = f"/manage/org/{tree.district.pk}/summary.xlsx"
        small = page_queries(client, url)
        for n in range(5):
            make_cadre(tree.xinhua if n % 2 else tree.branch, mobile=f"135{n:08d}")
        # user, organization (a platform admin has no managed paths to read); its children;
        # requirements and their courses; hours, mock exams and pending claims grouped by
        # home organization
        assert small == page_queries(client, url) == 8


class TestAccess:
    URLS = ("export.xlsx", "export.csv", "summary.xlsx", "summary.csv")

    def test_secretaries_outside_the_subtree_get_404_on_every_export(self, client, people, tree):
        """Another street's secretary, a community's secretary for its street, and a cadre."""
        for user, organization in (
            (people.south_secretary, tree.east),
            (people.osmanthus_secretary, tree.east),
            (people.osmanthus_secretary, tree.sakura),
            (people.cadre, tree.branch),
        ):
            client.force_login(user)
            for name in self.URLS:
                assert client.get(f"/manage/org/{organization.pk}/{name}").status_code == 404
        client.force_login(people.osmanthus_secretary)
        for name in self.URLS:
            assert client.get(f"/manage/org/{tree.osmanthus.pk}/{name}").status_code == 200

    def test_the_buttons_carry_the_page_filters(self, people, tree):
        """The organization page's buttons: the table with the current query, the summary."""
        request = RequestFactory().get("/", {"q": "张", "behind": "1"})
        html = render_to_string(
            "lms/includes/export_buttons.html", {"organization": tree.east, "request": request}
        )
        base = f"/manage/org/{tree.east.pk}"
        assert f"{base}/export.xlsx?q=%E5%BC%A0&amp;behind=1" in html
        assert f"{base}/export.csv?q=%E5%BC%A0&amp;behind=1" in html
        assert f'{base}/summary.xlsx"' in html and f'{base}/summary.csv"' in html


@pytest.fixture
def large(settings):
    """Every export with more than one row becomes a background job."""
    settings.LMS_EXPORT_INLINE_MAX_ROWS = 1


def export_job(client, url, capture, *, run=True) -> Export:
    """Asks for a large export and returns its job; the task runs on commit (eager) if `run`."""
    with capture(execute=run):
        response = client.get(url)
    export = Export.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == f"/manage/export/{export.pk}/"
    return export


class TestLargeExport:
    def test_a_large_export_is_written_by_the_task_and_downloaded(
        self, client, people, east_with_hours, large, django_capture_on_commit_callbacks
    ):
        """Job created with the page's filters, built by the task, progress JSON, download
        as an attachment with the Chinese name, the same rows as the inline export."""
        client.force_login(people.east_secretary)
        export = export_job(
            client,
            f"/manage/org/{east_with_hours.pk}/export.xlsx?q=干部&page=2",
            django_capture_on_commit_callbacks,
        )
        assert (export.requested_by, export.organization) == (
            people.east_secretary,
            east_with_hours,
        )
        assert export.params == {"year": YEAR, "q": "干部"}
        assert (export.status, export.rows_total, export.rows_done) == ("done", 35, 35)
        assert export.file.name.startswith("exports/") and export.finished_at
        progress = client.get(f"/manage/export/{export.pk}/progress/").json()
        assert progress == {
            "status": "done",
            "status_label": export.get_status_display(),
            "total": 35,
            "processed": 35,
            "finished": True,
            "url": f"/manage/export/{export.pk}/",
        }
        page = client.get(f"/manage/export/{export.pk}/").content.decode()
        assert f"/manage/export/{export.pk}/download/" in page and "data-poll" not in page

        download = client.get(f"/manage/export/{export.pk}/download/")
        assert download["X-Content-Type-Options"] == "nosniff"
        title = f"东湖街道党工委{YEAR}年学时完成情况"
        assert (
            f"attachment; filename*=utf-8''{quote(title + '.xlsx')}"
            in (download["Content-Disposition"])
        )
        rows = workbook_rows(content_of(download))
        assert rows[0][0] == title and len(rows) == 3 + 35
        assert {row[0] for row in rows[3:]} == {f"干部{n:02d}" for n in range(35)}
        # /media/ never serves it
        assert client.get(f"/media/{export.file.name}").status_code == 404

    def test_a_large_csv_export_and_summary(
        self, client, people, east_with_hours, large, django_capture_on_commit_callbacks
    ):
        """CSV and the summary go through the same job."""
        client.force_login(people.east_secretary)
        table = export_job(
            client,
            f"/manage/org/{east_with_hours.pk}/export.csv",
            django_capture_on_commit_callbacks,
        )
        download = client.get(f"/manage/export/{table.pk}/download/")
        assert len(csv_rows(content_of(download))) == 3 + 37
        summary = export_job(
            client,
            f"/manage/org/{east_with_hours.pk}/summary.csv",
            django_capture_on_commit_callbacks,
        )
        assert (summary.report, summary.params) == ("summary", {"year": YEAR})
        rows = csv_rows(content_of(client.get(f"/manage/export/{summary.pk}/download/")))
        assert rows[-1][0] == "合计"

    def test_while_waiting_the_page_polls_and_the_download_waits(
        self, client, people, east_with_hours, large, django_capture_on_commit_callbacks
    ):
        """Before the task has run: the page polls (and reloads itself without JavaScript)."""
        client.force_login(people.east_secretary)
        export = export_job(
            client,
            f"/manage/org/{east_with_hours.pk}/export.xlsx",
            django_capture_on_commit_callbacks,
            run=False,
        )
        assert export.status == "queued"
        page = client.get(f"/manage/export/{export.pk}/").content.decode()
        assert "data-poll" in page and 'http-equiv="refresh"' in page
        assert client.get(f"/manage/export/{export.pk}/progress/").json()["finished"] is False
        download = client.get(f"/manage/export/{export.pk}/download/")
        assert (
            download.status_code == 302 and download["Location"] == f"/manage/export/{export.pk}/"
        )

    def test_only_the_requester_may_open_the_job(
        self, client, people, tree, large, django_capture_on_commit_callbacks
    ):
        """A second secretary of the same organization, a sibling community's, the street's
        above and a platform admin all get 404 on the page, the progress and the download."""
        make_cadre(tree.osmanthus, mobile="13900000002")
        client.force_login(people.osmanthus_secretary)
        export = export_job(
            client,
            f"/manage/org/{tree.osmanthus.pk}/export.xlsx",
            django_capture_on_commit_callbacks,
        )
        assert export.status == "done"
        others = (
            make_secretary(tree.osmanthus, mobile="13900000020"),
            make_secretary(tree.sakura, mobile="13900000021"),
            people.east_secretary,
            people.admin,
        )
        for other in others:
            client.force_login(other)
            for suffix in ("", "progress/", "download/"):
                assert client.get(f"/manage/export/{export.pk}/{suffix}").status_code == 404
        client.force_login(people.osmanthus_secretary)
        for suffix in ("", "progress/", "download/"):
            assert client.get(f"/manage/export/{export.pk}/{suffix}").status_code == 200

    def test_a_requester_who_lost_the_role_gets_a_failed_export(
        self, client, people, east_with_hours, large, django_capture_on_commit_callbacks
    ):
        """The role is withdrawn before the task runs: the export ends failed, no file, and
        the former secretary cannot open it any more."""
        client.force_login(people.east_secretary)
        with django_capture_on_commit_callbacks() as callbacks:
            client.get(f"/manage/org/{east_with_hours.pk}/export.xlsx")
        Membership.objects.filter(user=people.east_secretary).delete()
        for callback in callbacks:
            callback()
        export = Export.objects.get()
        assert export.status == "failed" and not export.file and export.finished_at
        assert "东湖街道党工委" in export.error
        assert client.get(f"/manage/export/{export.pk}/").status_code == 404

    def test_storage_that_cannot_be_written_ends_failed_with_a_message(
        self, client, people, east_with_hours, large, settings, tmp_path,
        django_capture_on_commit_callbacks,
    ):  # fmt: skip
        """MEDIA_ROOT is not a folder: the export ends failed, the page says so, stops polling."""
        not_a_folder = tmp_path / "media-file"
        not_a_folder.write_text("")
        settings.MEDIA_ROOT = not_a_folder
        client.force_login(people.east_secretary)
        export = export_job(
            client,
            f"/manage/org/{east_with_hours.pk}/export.xlsx",
            django_capture_on_commit_callbacks,
        )
        assert export.status == "failed" and export.error and not export.file
        progress = client.get(f"/manage/export/{export.pk}/progress/").json()
        assert progress["finished"] is True and progress["status"] == "failed"
        page = client.get(f"/manage/export/{export.pk}/").content.decode()
        assert export.error in page and "data-poll" not in page
        download = client.get(f"/manage/export/{export.pk}/download/")
        assert download.status_code == 302


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_export_runs_in_a_real_worker(client, tree, people, settings, workers, worker):
    """The job is committed, travels through the broker, and a worker process writes the file."""
    settings.LMS_EXPORT_INLINE_MAX_ROWS = 10
    for n in range(30):
        make_cadre(tree.sakura, mobile=f"1391234{n:04d}", name=f"居民{n:02d}")
    client.force_login(people.east_secretary)
    response = client.get(f"/manage/org/{tree.east.pk}/export.csv")
    assert response.status_code == 302
    export = Export.objects.get()

    def finished():
        export.refresh_from_db()
        return export.is_finished

    workers.wait_until(finished, what="the export to finish", timeout=60)
    assert export.status == "done", export.error
    assert export.rows_total == export.rows_done == 32
    rows = csv_rows(content_of(client.get(f"/manage/export/{export.pk}/download/")))
    assert len(rows) == 3 + 32
