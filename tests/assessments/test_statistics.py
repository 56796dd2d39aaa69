"""Quiz statistics: scores, distribution, facility and discrimination, and the page's cost."""

import math
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.statistics import quiz_statistics

from ..factories import make_lecturer
from ..queries import page_queries
from .conftest import make_quiz
from .test_marking import answer_url, submitted_attempt

pytestmark = pytest.mark.django_db


def option(question, text) -> str:
    return str(question.options.get(text=text).pk)


def four_attempts(quiz, bank, cadre):
    """Four graded attempts of the objective quiz with these item scores (points 1, 2, 1, 1).

    attempt   single  multiple  true/false  blank   total  percent
       1         1        2         1         0       4      80
       2         1        0         1         1       3      60
       3         0        0         1         0       1      20
       4         0        0         1         1       2      40
    """
    right_multiple = [option(bank.multiple, text) for text in ("尊重", "保密", "案主自决")]
    wrong_multiple = [option(bank.multiple, text) for text in ("尊重", "替案主做决定")]
    true_false = [option(bank.true_false, "错误")]
    plan = [
        ("助人自助", right_multiple, "王某"),
        ("助人自助", wrong_multiple, "司法所"),
        ("管理控制", wrong_multiple, "街道"),
        ("经济效益", wrong_multiple, "司法行政机关"),
    ]
    for single, multiple, blank in plan:
        submitted_attempt(
            quiz,
            cadre,
            {
                bank.single: [option(bank.single, single)],
                bank.multiple: multiple,
                bank.true_false: true_false,
                bank.blank: [blank],
            },
        )


@pytest.fixture
def figures(objective_quiz, bank, people):
    four_attempts(objective_quiz, bank, people.cadre)
    return quiz_statistics(quiz=objective_quiz)


def by_question(figures, question):
    return next(item for item in figures.items if item.question_id == question.pk)


def test_scores_and_pass_rate(figures):
    """Totals 4, 3, 1, 2 of 5: mean 2.5, median 2.5, 50 %; two reach the 60 % pass mark."""
    assert figures.attempts == 4
    assert figures.mean_score == pytest.approx(2.5)
    assert figures.median_score == pytest.approx(2.5)
    assert figures.mean_percent == pytest.approx(50)
    assert figures.median_percent == pytest.approx(50)
    assert figures.pass_rate == pytest.approx(50)


def test_score_distribution(figures):
    """80, 60, 20 and 40 % land in the bands starting at 80, 60, 20 and 40."""
    counts = {b.low: b.count for b in figures.distribution}
    assert [b.low for b in figures.distribution] == list(range(0, 100, 10))
    assert counts == {0: 0, 10: 0, 20: 1, 30: 0, 40: 1, 50: 0, 60: 1, 70: 0, 80: 1, 90: 0}
    assert figures.distribution[8].share == pytest.approx(25)


def test_facility_index(figures, bank):
    """Mean score over points: 2/4, 2/8, 4/4 and 2/4."""
    assert by_question(figures, bank.single).facility == pytest.approx(50)
    assert by_question(figures, bank.multiple).facility == pytest.approx(25)
    assert by_question(figures, bank.true_false).facility == pytest.approx(100)
    assert by_question(figures, bank.blank).facility == pytest.approx(50)


def test_discrimination_index(figures, bank):
    """Pearson's r of item score against total minus item, worked out by hand.

    single: x = 1 1 0 0, rest = 3 2 1 2 → Σdxdy = 1, Σdx² = 1, Σdy² = 2 → 1/√2
    multiple: x = 2 0 0 0, rest = 2 3 1 2 → Σdxdy = 0 → 0
    blank: x = 0 1 0 1, rest = 4 2 1 1 → Σdxdy = −1, Σdx² = 1, Σdy² = 6 → −1/√6
    true/false: everyone right, no variance → undefined
    """
    assert by_question(figures, bank.single).discrimination == pytest.approx(1 / math.sqrt(2))
    assert by_question(figures, bank.multiple).discrimination == pytest.approx(0, abs=1e-12)
    assert by_question(figures, bank.blank).discrimination == pytest.approx(-1 / math.sqrt(6))
    assert by_question(figures, bank.true_false).discrimination is None


def test_option_shares(figures, bank):
    """Two chose the right option of the single choice, one each two wrong ones."""
    shares = {o.text: (o.chosen, o.share) for o in by_question(figures, bank.single).options}
    assert shares == {
        "助人自助": (2, 50),
        "管理控制": (1, 25),
        "经济效益": (1, 25),
        "行政命令": (0, 0),
    }
    assert by_question(figures, bank.blank).options == []


def test_one_attempt_has_no_discrimination(objective_quiz, bank, people):
    """With a single graded attempt the correlation is undefined."""
    submitted_attempt(
        objective_quiz, people.cadre, {bank.single: [option(bank.single, "助人自助")]}
    )
    figures = quiz_statistics(quiz=objective_quiz)
    assert figures.attempts == 1
    assert all(item.discrimination is None for item in figures.items)
    assert by_question(figures, bank.single).facility == pytest.approx(100)


def test_only_graded_attempts_count(client, people, bank):
    """An attempt awaiting marking is left out until its essay is marked; case parts count."""
    quiz = make_quiz(people.lecturer, [bank.essay, bank.case])
    attempt = submitted_attempt(quiz, people.cadre, {bank.essay: ["答案"]})
    assert quiz_statistics(quiz=quiz).attempts == 0
    client.force_login(people.lecturer)
    for row in attempt.questions.filter(snapshot__type="essay"):
        client.post(answer_url(row), {"score": "2"})
    figures = quiz_statistics(quiz=quiz)
    assert figures.attempts == 1
    assert figures.mean_score == pytest.approx(4)
    parts = [item for item in figures.items if item.case_stem]
    assert len(parts) == 2 and all(item.case_stem == bank.case.stem for item in parts)
    assert bank.case.pk not in {item.question_id for item in figures.items}


def test_statistics_page(client, people, objective_quiz, bank):
    """The owner sees the figures, with a histogram drawn in SVG and no script."""
    four_attempts(objective_quiz, bank, people.cadre)
    client.force_login(people.lecturer)
    response = client.get(reverse("assessments_marking:statistics", args=[objective_quiz.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    main = page[page.index("<main") :]
    assert "<svg" in main and "<script" not in main
    assert '<dd data-figure="attempts">4</dd>' in page
    assert bank.single.stem in page
    assert "—" in page  # the true/false question's undefined discrimination


def test_statistics_page_is_for_owner_or_superuser(client, people, objective_quiz):
    """Another lecturer gets 404; a superuser gets the page."""
    url = reverse("assessments_marking:statistics", args=[objective_quiz.pk])
    client.force_login(make_lecturer(username="lecturer2", mobile="13800000021"))
    assert client.get(url).status_code == 404
    client.force_login(people.admin)
    assert client.get(url).status_code == 200


def test_statistics_take_one_query(objective_quiz, bank, people, django_assert_num_queries):
    """All the figures come from one query."""
    four_attempts(objective_quiz, bank, people.cadre)
    with django_assert_num_queries(1):
        quiz_statistics(quiz=objective_quiz)


@pytest.mark.parametrize("attempts", [3, 30])
def test_statistics_page_query_count(client, people, objective_quiz, bank, attempts):
    """The page costs the same number of queries for 3 and for 30 attempts."""
    for i in range(attempts):
        submitted_attempt(
            objective_quiz,
            people.cadre,
            {bank.single: [option(bank.single, "助人自助" if i % 2 else "管理控制")]},
        )
    client.force_login(people.lecturer)
    url = reverse("assessments_marking:statistics", args=[objective_quiz.pk])
    client.get(url)  # warm per-process caches (site, content types)
    assert page_queries(client, url) == PAGE_QUERIES
    response = client.get(url)
    assert response.context["figures"].attempts == attempts
    assert response.context["figures"].mean_score == pytest.approx(
        float(Decimal(attempts // 2) / attempts)
    )


# User (session storage is not counted), its two permission sets, its Wagtail profile; the
# quiz and the statistics
# rows; for the admin menu: locales, page and collection permissions, the explorer's root page
# and the count of answers awaiting marking. Other apps' menu items add to this number.
PAGE_QUERIES = 11
