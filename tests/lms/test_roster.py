"""Roster import: the template, all-or-nothing validation with Chinese row errors, re-import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from lms.models import CadreProfile, Membership, RosterImport, User

pytestmark = pytest.mark.django_db

HEADERS = [
    "姓名", "手机号", "性别", "出生年份", "所属组织编码", "职务",
    "政治面貌", "人员类别", "社区工作年限", "学历", "社工资格", "工作单位",
]  # fmt: skip


def row(name="王桂兰", mobile="13900000001", org="jd01-sq01", **overrides):
    values = {
        "姓名": name,
        "手机号": mobile,
        "性别": "女",
        "出生年份": 1958,
        "所属组织编码": org,
        "职务": "委员",
        "政治面貌": "中共党员",
        "人员类别": "退休党员",
        "社区工作年限": 12,
        "学历": "高中/中专",
        "社工资格": "无",
        "工作单位": "",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def xlsx(rows, headers=HEADERS, name="花名册.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    if headers:
        sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Posts a roster and follows to its result page, running the import committed after."""

    def post(client, organization, file):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/manage/org/{organization.pk}/roster/", {"file": file})
        if response.status_code == 302:
            return client.get(response["Location"])
        return response

    return post


@pytest.fixture
def east(client, tree, people):
    """The street secretary of 东湖街道, logged in."""
    client.force_login(people.east_secretary)
    return client


class TestTemplate:
    def test_template_has_chinese_headers_and_the_secretarys_organizations(self, east, tree):
        """The template lists the columns in Chinese and only organizations in scope."""
        response = east.get(f"/manage/org/{tree.east.pk}/roster/template.xlsx")
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        roster, codes, allowed = workbook.worksheets
        assert [c.value for c in roster[1]] == HEADERS
        listed = {r[0] for r in codes.iter_rows(min_row=2, values_only=True)}
        assert listed == {"jd01", "jd01-sq01", "jd01-sq02", "jd01-sq01-zb1"}
        assert "退休党员" in [c.value for c in allowed["C"]] + [c.value for c in allowed["D"]]

    def test_filled_template_example_row_imports(self, east, tree, upload):
        """The template's own example row passes validation as it stands."""
        response = east.get(f"/manage/org/{tree.east.pk}/roster/template.xlsx")
        file = SimpleUploadedFile("template.xlsx", response.content)
        page = upload(east, tree.east, file)
        assert page.context["roster_import"].status == RosterImport.Status.DONE


class TestImport:
    def test_valid_roster_creates_people_with_profiles_and_homes(self, east, tree, upload):
        """Every row becomes an account with a profile and a home organization."""
        file = xlsx(
            [
                row(),
                row("李建国", "13900000002", "jd01-sq01-zb1", 职务="网格员", 人员类别="流动党员"),
                row("赵静", "13900000003", "jd01-sq02", 人员类别="在职党员（到社区报到）",
                    工作单位="市自来水公司", 社工资格="助理社会工作师"),
            ]
        )  # fmt: skip
        page = upload(east, tree.east, file)
        roster_import = page.context["roster_import"]
        assert roster_import.status == RosterImport.Status.DONE
        assert (roster_import.created_count, roster_import.updated_count) == (3, 0)
        assert "新建学员 3 名，更新 0 名" in page.content.decode()
        grid = User.objects.get(mobile="13900000002")
        assert grid.cadre_profile.position == CadreProfile.Position.GRID_WORKER
        assert grid.cadre_profile.member_type == CadreProfile.MemberType.FLOATING
        assert grid.memberships.get(role="cadre").organization == tree.branch
        zhao = User.objects.get(mobile="13900000003").cadre_profile
        assert zhao.member_type == CadreProfile.MemberType.IN_SERVICE
        assert zhao.work_unit == "市自来水公司"
        assert zhao.qualification == CadreProfile.Qualification.ASSISTANT

    def test_imported_accounts_must_choose_a_password(self, client, east, tree, upload):
        """New accounts log in with the initial password and must set their own."""
        upload(east, tree.east, xlsx([row()]))
        user = User.objects.get(mobile="13900000001")
        assert user.must_change_password and not user.has_usable_password()
        client.logout()
        client.post("/accounts/login/", {"username": "13900000001", "password": "000001"})
        assert client.get("/")["Location"] == "/accounts/password/"

    def test_reimporting_updates_and_never_duplicates(self, east, tree, upload):
        """The same people imported twice are updated in place, moved within scope."""
        upload(east, tree.east, xlsx([row(), row("李建国", "13900000002")]))
        changed = xlsx([row(出生年份=1959), row("李建国", "13900000002", "jd01-sq02")])
        page = upload(east, tree.east, changed)
        roster_import = page.context["roster_import"]
        assert (roster_import.created_count, roster_import.updated_count) == (0, 2)
        assert User.objects.filter(mobile__in=["13900000001", "13900000002"]).count() == 2
        assert Membership.objects.filter(user__mobile="13900000002", role="cadre").get(
        ).organization == tree.sakura  # fmt: skip
        assert User.objects.get(mobile="13900000001").cadre_profile.birth_year == 1959

    def test_reimport_keeps_a_chosen_password(self, east, tree, upload):
        """Updating a person who already chose a password leaves the password alone."""
        upload(east, tree.east, xlsx([row()]))
        user = User.objects.get(mobile="13900000001")
        user.set_password("Harmony-2026!")
        user.must_change_password = False
        user.save()
        upload(east, tree.east, xlsx([row(姓名="王桂兰")]))
        user.refresh_from_db()
        assert user.check_password("Harmony-2026!") and not user.must_change_password


class TestBadRosters:
    def test_any_row_error_imports_nothing_and_names_row_and_column(self, east, tree, upload):
        """One bad row among good ones: nothing written; errors name row and column in Chinese."""
        file = xlsx(
            [
                row(),
                row("李建国", "1390000000X"),
                row("赵静", "13900000003", 性别="未知", 出生年份="一九六零"),
                row("钱多", "13900000001"),
                row("", "13900000005", "jd02-sq01"),
            ]
        )
        page = upload(east, tree.east, file)
        roster_import = page.context["roster_import"]
        assert roster_import.status == RosterImport.Status.FAILED
        text = page.content.decode()
        assert "第 3 行：手机号格式不正确（应为 11 位手机号）" in text
        assert "第 4 行：性别“未知”不是可选值" in text
        assert "第 4 行：出生年份必须是整数" in text
        assert "第 5 行：手机号与第 2 行重复" in text
        assert "第 6 行：姓名不能为空" in text
        assert "第 6 行：所属组织编码“jd02-sq01”不是您管理的组织" in text
        assert "未导入任何数据" in text
        assert not User.objects.filter(mobile__startswith="139").exists()

    def test_mobile_of_a_person_outside_the_subtree_is_refused(self, east, tree, people, upload):
        """A number already used outside the importer's subtree is neither moved nor duplicated."""
        page = upload(east, tree.east, xlsx([row(mobile=people.xinhua_cadre.mobile)]))
        assert "第 2 行：手机号已被本组织以外的人员使用" in page.content.decode()
        assert people.xinhua_cadre.memberships.get(role="cadre").organization == tree.xinhua

    def test_not_xlsx_is_refused(self, east, tree, upload):
        """A CSV renamed or a text file gets a clear refusal and no import record."""
        page = upload(east, tree.east, SimpleUploadedFile("名单.xlsx", "姓名,手机号\n".encode()))
        assert "这不是 Excel（.xlsx）文件" in page.content.decode()
        page = upload(east, tree.east, SimpleUploadedFile("名单.csv", b"a,b"))
        assert "只能导入 Excel（.xlsx）文件" in page.content.decode()
        assert not RosterImport.objects.exists()

    def test_empty_file_and_header_only_are_refused(self, east, tree, upload):
        """An empty upload and a sheet with only headers are refused."""
        page = upload(east, tree.east, SimpleUploadedFile("a.xlsx", b""))
        assert "所提交的是空文件" in page.content.decode()
        page = upload(east, tree.east, xlsx([]))
        assert "花名册只有表头，没有数据行" in page.content.decode()
        assert not RosterImport.objects.exists()

    def test_missing_headers_are_named(self, east, tree, upload):
        """A sheet without the required headers lists what is missing."""
        page = upload(east, tree.east, xlsx([["王桂兰", "13900000001"]], headers=["姓名", "电话"]))
        assert "缺少列：手机号、性别" in page.content.decode()

    def test_too_many_rows_is_refused(self, east, tree, settings, upload):
        """Over the row limit (5,000 by default) the file is refused before anything starts."""
        settings.ROSTER_MAX_ROWS = 3
        rows = [row(mobile=f"1390000000{i}") for i in range(4)]
        page = upload(east, tree.east, xlsx(rows))
        assert "花名册超过 3 行" in page.content.decode()
        assert not RosterImport.objects.exists()

    def test_too_large_file_is_refused(self, east, tree, settings, upload):
        """Over the size limit (5 MB by default) the file is refused."""
        settings.ROSTER_MAX_BYTES = 1024
        page = upload(east, tree.east, xlsx([row(mobile=f"139000{i:05d}") for i in range(100)]))
        assert "文件超过 1.0\xa0KB，请将花名册拆分为多个文件" in page.content.decode()
        assert not RosterImport.objects.exists()

    def test_unreadable_stored_file_fails_cleanly(self, east, tree, people):
        """If the stored upload has vanished, the import fails with a message, not a hang."""
        from lms import services

        roster_import = RosterImport.objects.create(
            organization=tree.east,
            uploaded_by=people.east_secretary,
            file="rosters/missing.xlsx",
            original_name="missing.xlsx",
        )
        services.roster_import_run(roster_import_id=roster_import.pk)
        roster_import.refresh_from_db()
        assert roster_import.status == RosterImport.Status.FAILED
        page = east.get(f"/manage/roster/{roster_import.pk}/")
        assert "上传的文件已无法读取，请重新上传" in page.content.decode()


class TestScope:
    def test_secretary_cannot_import_outside_their_subtree(self, east, tree):
        """Uploading into a sibling street's organization answers 404 and creates nothing."""
        response = east.post(f"/manage/org/{tree.xinhua.pk}/roster/", {"file": xlsx([row()])})
        assert response.status_code == 404
        assert east.get(f"/manage/org/{tree.xinhua.pk}/roster/template.xlsx").status_code == 404
        assert not RosterImport.objects.exists()

    def test_import_pages_of_others_are_404(self, client, east, tree, people, upload):
        """Another secretary cannot see an import's page or its progress."""
        page = upload(east, tree.east, xlsx([row()]))
        pk = page.context["roster_import"].pk
        client.force_login(people.south_secretary)
        assert client.get(f"/manage/roster/{pk}/").status_code == 404
        assert client.get(f"/manage/roster/{pk}/progress/").status_code == 404

    def test_cadres_cannot_reach_import_pages(self, client, tree, people):
        """A cadre gets 404 on every management page."""
        client.force_login(people.cadre)
        assert client.get(f"/manage/org/{tree.branch.pk}/roster/").status_code == 404
        assert client.get("/manage/").status_code == 404

    def test_progress_reports_counts(self, east, tree, upload):
        """The progress endpoint reports status and counts as JSON for the progress bar."""
        page = upload(east, tree.east, xlsx([row(), row("李建国", "13900000002")]))
        pk = page.context["roster_import"].pk
        data = east.get(f"/manage/roster/{pk}/progress/").json()
        assert data["status"] == "done" and data["finished"]
        assert (data["processed"], data["total"]) == (2, 2)
