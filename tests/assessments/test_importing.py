"""Importing question files into a bank and exporting it: service, admin views and command."""

import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import importing
from assessments.formats import FormatError, OptionData, QuestionData
from assessments.models import Question, QuestionBank, QuestionCategory

from ..factories import make_lecturer

pytestmark = pytest.mark.django_db

GIFT = """\
$CATEGORY: 综合能力/第一章

// [difficulty:3]
// [tag:党建]
::q1:: 社区党组织是社区各类组织和各项工作的什么？ {=领导核心 ~协调机构 ~监督机构}

::q2:: 下列属于社区工作方法的有： {~%50%个案工作 ~%50%小组工作 ~%-100%行政命令}

::q3:: 居民委员会每届任期五年。 {T}

$CATEGORY: 综合能力/第二章

::q4:: 社区网格化管理中，负责信息采集的人员称为{=网格员 =网格管理员}。

::q5:: 简述社区议事协商的基本程序。 {}
"""

BROKEN = """\
::ok:: 好的题目 {=对 ~错}

::bad:: 没有正确答案的单选题 {~甲 ~乙}
"""


@pytest.fixture
def lecturer(people):
    return people.lecturer


@pytest.fixture
def bank(lecturer):
    return QuestionBank.objects.create(name="社工考试题库", owner=lecturer)


def gift_upload(text=GIFT, name="questions.gift"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def as_user(client, user):
    """Logs `client` in as `user`, speaking English so messages read as their msgids."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def import_url(bank):
    return f"/cms/assessments/banks/{bank.pk}/import/"


def snapshot(bank) -> list[tuple]:
    """What a bank holds, comparable between banks: stems, options, answers, categories, tags."""
    return [
        (
            record.type,
            record.stem,
            [(o.text, o.correct) for o in record.options],
            record.answers,
            record.category,
            record.difficulty,
            record.tags,
        )
        for record in importing.bank_records(bank)
    ]


# --- the service ------------------------------------------------------------------------------


def test_import_creates_categories_questions_options_and_tags(bank, lecturer):
    """Every record becomes a question in the category its path names, with options and tags."""
    count = importing.questions_import(
        bank=bank, records=importing.parse(GIFT.encode(), "gift"), by=lecturer
    )
    assert count == 5
    first = Question.objects.get(name="q1")
    assert first.category.label == "综合能力 / 第一章"
    assert [(o.text, o.correct) for o in first.options.all()] == [
        ("领导核心", True),
        ("协调机构", False),
        ("监督机构", False),
    ]
    assert first.difficulty == 3
    assert list(first.tags.names()) == ["党建"]
    assert first.created_by == lecturer
    assert Question.objects.get(name="q4").answers == ["网格员", "网格管理员"]
    assert sorted(c.label for c in QuestionCategory.objects.filter(bank=bank)) == [
        "综合能力",
        "综合能力 / 第一章",
        "综合能力 / 第二章",
    ]
    assert QuestionCategory.find_problems() == ([], [], [], [], [])


def test_import_reuses_existing_categories(bank, lecturer):
    """Importing twice puts the questions into the same category nodes."""
    records = importing.parse(GIFT.encode(), "gift")
    importing.questions_import(bank=bank, records=records, by=lecturer)
    importing.questions_import(bank=bank, records=records, by=lecturer)
    assert QuestionCategory.objects.filter(bank=bank).count() == 3
    assert Question.objects.filter(bank=bank).count() == 10


def test_import_keeps_case_parts_under_their_case(bank, lecturer):
    """A case record becomes a case question with its parts in order."""
    case = QuestionData(
        type="case",
        stem="某社区发生邻里纠纷……",
        category=["案例分析"],
        parts=[
            QuestionData(type="essay", stem="分析矛盾的成因。"),
            QuestionData(
                type="single",
                stem="首先应当？",
                options=[OptionData("了解情况", True), OptionData("报警", False)],
            ),
        ],
    )
    assert importing.questions_import(bank=bank, records=[case], by=lecturer) == 1
    parent = Question.objects.get(type="case")
    assert [(p.position, p.stem) for p in parent.parts.order_by("position")] == [
        (1, "分析矛盾的成因。"),
        (2, "首先应当？"),
    ]
    assert parent.parts.get(position=2).options.count() == 2
    assert snapshot(bank)[0][4] == ["案例分析"]


def test_import_of_an_invalid_record_creates_nothing(bank, lecturer):
    """One broken record stops the whole import before anything is written."""
    records = importing.parse(GIFT.encode(), "gift")
    records.append(QuestionData(type="single", stem="坏题", options=[OptionData("甲")], line=99))
    with pytest.raises(FormatError) as error:
        importing.questions_import(bank=bank, records=records, by=lecturer)
    assert error.value.problems[0].line == 99
    assert not Question.objects.exists()
    assert not QuestionCategory.objects.exists()


@pytest.mark.parametrize(
    ("name", "chosen", "expected"),
    [
        ("a.gift", "", "gift"),
        ("a.TXT", "", "gift"),
        ("a.txt", "aiken", "aiken"),
        ("a.aiken", "", "aiken"),
        ("a.xml", "", "moodlexml"),
        ("a.xlsx", "", "xlsx"),
    ],
)
def test_format_comes_from_the_choice_or_the_extension(name, chosen, expected):
    """An explicit choice wins; otherwise the extension decides."""
    assert importing.format_for(name, chosen) == expected


def test_unknown_extension_asks_for_a_format():
    """A file name that names no format is refused with a request to choose one."""
    with pytest.raises(FormatError):
        importing.format_for("questions.docx")


def test_import_of_1000_gift_questions_is_fast(bank, lecturer):
    """1,000 GIFT questions are inserted in bulk, a few dozen inserts rather than thousands."""
    text = "\n".join(
        f"$CATEGORY: 题库/第{n % 10}章\n\n::q{n}:: 第{n}题的题干？ {{=对的{n} ~错的{n} ~又错{n}}}\n"
        for n in range(1000)
    )
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        records = importing.parse(text.encode(), "gift")
        importing.questions_import(bank=bank, records=records, by=lecturer)
    elapsed = time.perf_counter() - started
    print(f"1,000 GIFT questions parsed and imported in {elapsed:.2f} s")
    assert Question.objects.filter(bank=bank).count() == 1000
    # Categories are inserted one by one (a few), questions and options in bulk: SQLite splits
    # a bulk insert into batches of 999 parameters, so a few dozen inserts, not thousands.
    inserts = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith(
            ('INSERT INTO "assessments_question"', 'INSERT INTO "assessments_option"')
        )
    ]
    assert len(inserts) <= 40


def make_bank_with(lecturer, name, questions: int) -> QuestionBank:
    bank = QuestionBank.objects.create(name=name, owner=lecturer)
    records = [
        QuestionData(
            type="multiple",
            stem=f"题{n}",
            options=[OptionData("甲", True), OptionData("乙", True), OptionData("丙")],
            category=["章", f"节{n % 3}"],
            tags=["标签"],
        )
        for n in range(questions)
    ] + [
        QuestionData(
            type="case",
            stem="案例",
            parts=[QuestionData(type="fill_blank", stem="填空", answers=["答案"])],
        )
    ]
    importing.questions_import(bank=bank, records=records, by=lecturer)
    return bank


@pytest.mark.parametrize("size", [2, 60])
def test_bank_records_query_count_does_not_grow(lecturer, django_assert_num_queries, size):
    """Exporting a bank takes the same queries for 2 questions as for 60."""
    bank = make_bank_with(lecturer, f"题库{size}", size)
    with django_assert_num_queries(7):
        records = importing.bank_records(bank)
    assert len(records) == size + 1
    assert records[-1].parts[0].answers == ["答案"]


def test_gift_export_round_trips_into_another_bank(client, lecturer, bank):
    """A bank exported as GIFT and imported into another bank gives the same questions."""
    importing.questions_import(
        bank=bank, records=importing.parse(GIFT.encode(), "gift"), by=lecturer
    )
    response = as_user(client, lecturer).get(f"/cms/assessments/banks/{bank.pk}/export/gift/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    copy = QuestionBank.objects.create(name="副本", owner=lecturer)
    importing.questions_import(
        bank=copy, records=importing.parse(response.content, "gift"), by=lecturer
    )
    assert snapshot(copy) == snapshot(bank)


def test_excel_export_and_template_download(client, lecturer, bank):
    """The Excel export reads back into the same questions; the template downloads."""
    importing.questions_import(
        bank=bank, records=importing.parse(GIFT.encode(), "gift"), by=lecturer
    )
    client = as_user(client, lecturer)
    response = client.get(f"/cms/assessments/banks/{bank.pk}/export/xlsx/")
    assert response.status_code == 200
    stems = [record.stem for record in importing.parse(response.content, "xlsx")]
    assert stems == [record.stem for record in importing.bank_records(bank)]
    template = client.get("/cms/assessments/template.xlsx")
    assert template.status_code == 200
    assert template.content.startswith(b"PK")


# --- the admin views --------------------------------------------------------------------------


def test_preview_lists_questions_and_creates_nothing(client, lecturer, bank):
    """Uploading shows counts and the first questions; the bank stays empty until confirmed."""
    response = as_user(client, lecturer).post(import_url(bank), {"file": gift_upload()})
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["total"] == 5
    assert dict(summary["by_category"]) == {"综合能力 / 第一章": 3, "综合能力 / 第二章": 2}
    assert "社区党组织是社区各类组织和各项工作的什么" in response.content.decode()
    assert not Question.objects.exists()
    assert not QuestionCategory.objects.exists()

    confirmed = client.post(f"{import_url(bank)}confirm/", {"token": response.context["token"]})
    assert confirmed.status_code == 302
    assert Question.objects.filter(bank=bank).count() == 5


def test_confirm_with_a_forged_token_creates_nothing(client, lecturer, bank):
    """A token that was not signed by the server answers 404."""
    response = as_user(client, lecturer).post(f"{import_url(bank)}confirm/", {"token": "x:y:z"})
    assert response.status_code == 404
    assert not Question.objects.exists()


def test_confirm_for_another_bank_is_refused(client, lecturer, bank):
    """A token issued for one bank cannot import into another."""
    client = as_user(client, lecturer)
    token = client.post(import_url(bank), {"file": gift_upload()}).context["token"]
    other = QuestionBank.objects.create(name="另一个", owner=lecturer)
    assert client.post(f"{import_url(other)}confirm/", {"token": token}).status_code == 404
    assert not Question.objects.exists()


def test_file_with_an_error_shows_its_line_and_creates_nothing(client, lecturer, bank):
    """Every problem is listed with its line; nothing can be confirmed."""
    response = as_user(client, lecturer).post(import_url(bank), {"file": gift_upload(BROKEN)})
    assert response.status_code == 200
    problems = response.context["form"].problems
    assert [problem.line for problem in problems] == [3]
    assert "Line or row 3" in response.content.decode() or "第 3" in response.content.decode()
    assert "token" not in response.context
    assert not Question.objects.exists()


def test_oversized_upload_is_refused(client, lecturer, bank, settings):
    """A 50 MB file is refused by its size with a clear message; nothing is created."""
    big = SimpleUploadedFile("big.gift", b"x" * (50 * 1024 * 1024), content_type="text/plain")
    response = as_user(client, lecturer).post(import_url(bank), {"file": big})
    assert response.status_code == 200
    [problem] = response.context["form"].problems
    assert "larger than 10 MB" in problem.message
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("junk.gift", bytes(range(256)) * 40),
        ("junk.xlsx", b"PK\x03\x04" + bytes(range(256)) * 40),
        ("junk.xml", b"\x00\xff<question" * 100),
    ],
)
def test_binary_junk_is_refused(client, lecturer, bank, name, data):
    """A file that is not what its name says is refused, not a server error."""
    upload = SimpleUploadedFile(name, data)
    response = as_user(client, lecturer).post(import_url(bank), {"file": upload})
    assert response.status_code == 200
    assert response.context["form"].problems
    assert not Question.objects.exists()


def test_import_and_export_of_others_bank_answer_404(client, people, bank):
    """A lecturer who may not change the bank cannot import into or export it."""
    other = make_lecturer(username="lecturer2", mobile="13800000021")
    client = as_user(client, other)
    assert client.get(import_url(bank)).status_code == 404
    assert client.post(import_url(bank), {"file": gift_upload()}).status_code == 404
    assert client.get(f"/cms/assessments/banks/{bank.pk}/export/gift/").status_code == 404
    assert client.get(f"/cms/assessments/banks/{bank.pk}/export/xlsx/").status_code == 404
    bank.editors.add(other)
    assert client.get(import_url(bank)).status_code == 200


# --- the management command -------------------------------------------------------------------


def test_command_creates_the_bank_and_imports(tmp_path, lecturer, capsys):
    """The command makes a missing bank for the owner given and prints the counts."""
    path = tmp_path / "questions.gift"
    path.write_text(GIFT, encoding="utf-8")
    call_command("import_questions", str(path), "--bank", "命令题库", "--owner", lecturer.username)
    bank = QuestionBank.objects.get(name="命令题库")
    assert bank.owner == lecturer
    assert bank.questions.count() == 5
    assert "imported 5 questions" in capsys.readouterr().out


def test_command_dry_run_creates_nothing(tmp_path, lecturer, capsys):
    """--dry-run counts without creating the bank or its questions."""
    path = tmp_path / "questions.gift"
    path.write_text(GIFT, encoding="utf-8")
    call_command(
        "import_questions", str(path), "--bank", "试运行", "--owner", lecturer.username, "--dry-run"
    )
    assert "would import 5 questions" in capsys.readouterr().out
    assert not QuestionBank.objects.exists()


def test_command_reports_lines_and_creates_nothing(tmp_path, lecturer, bank):
    """A broken file fails with its lines and leaves the bank untouched."""
    path = tmp_path / "broken.txt"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_questions", str(path), "--bank", bank.name)
    assert "line 3:" in str(error.value)
    assert not Question.objects.exists()


def test_command_needs_an_owner_for_a_new_bank(tmp_path):
    """Without --owner a missing bank is not created."""
    path = tmp_path / "questions.gift"
    path.write_text(GIFT, encoding="utf-8")
    with pytest.raises(CommandError, match="--owner"):
        call_command("import_questions", str(path), "--bank", "无主")
    assert not QuestionBank.objects.exists()
