"""Exam preparation pages: what a cadre sees and may do, the notebook's query count."""

import pytest
from django.urls import reverse

from assessments import prep_services
from assessments.models import Attempt, NotebookItem, Question

from ..queries import page_queries
from .test_prep import answer, exam  # noqa: F401  (exam is a fixture)

pytestmark = pytest.mark.django_db

# user, the page of notebook items with question and category, the count, the settings,
# managed paths, the two permission lookups of the navigation, the unread-notification badge
NOTEBOOK_QUERIES = 8


@pytest.fixture
def cadre_client(client, people):
    client.force_login(people.cadre)
    return client


def test_subject_page_lists_chapters_and_actions(cadre_client, exam):  # noqa: F811
    """The subject shows its paper, chapter drills and the three modes."""
    page = cadre_client.get(reverse("exam_subject", args=[exam.code])).content.decode()
    for text in ("社会工作综合能力（初级）", "专业伦理", "个案工作", "开始模拟考试", "每日一练"):
        assert text in page


def test_second_mock_lands_on_the_open_one_with_a_message(cadre_client, people, exam):  # noqa: F811
    """Starting a mock while one is open says so and opens the same attempt."""
    url = reverse("exam_mock", args=[exam.code])
    first = cadre_client.post(url)
    second = cadre_client.post(url, follow=True)
    assert Attempt.objects.count() == 1
    assert second.redirect_chain[0][0] == first.url
    assert "尚未完成" in second.content.decode()


def test_unfinished_mock_shows_no_answers(cadre_client, people, exam):  # noqa: F811
    """The review of a mock in progress sends the cadre back to the questions."""
    attempt = prep_services.mock_start(subject=exam, cadre=people.cadre)
    response = cadre_client.get(reverse("attempt_review", args=[attempt.pk]))
    assert response.url == reverse("attempt_page", args=[attempt.pk])


def test_result_page_breaks_the_score_down(cadre_client, people, exam):  # noqa: F811
    """After a mock: score per part and per knowledge point, pass line, partial credit."""
    attempt = answer(
        prep_services.mock_start(subject=exam, cadre=people.cadre), lambda r: {"对", "甲", "乙"}
    )
    page = cadre_client.get(reverse("attempt_review", args=[attempt.pk])).content.decode()
    assert "各题型得分" in page and "单项选择题" in page and "多项选择题" in page
    assert "4 / 4" in page and "2 / 4" in page  # singles all right; multiples 1.0 + 1.0
    assert "保密原则" in page and "接案" in page


def test_notebook_is_own_and_flat(client, people, exam):  # noqa: F811
    """The notebook shows only the cadre's items, at the same cost for 2 and 40 items."""
    questions = list(Question.objects.filter(bank=exam.bank))
    for question in questions[:2]:
        NotebookItem.objects.create(cadre=people.cadre, question=question, due_on="2026-01-01")
    NotebookItem.objects.create(
        cadre=people.sakura_cadre, question=questions[5], due_on="2026-01-01"
    )
    client.force_login(people.cadre)
    url = reverse("exam_notebook")
    page = client.get(url).content.decode()
    assert questions[0].stem in page and questions[5].stem not in page
    assert page_queries(client, url) == NOTEBOOK_QUERIES
    bigger = [
        Question.objects.create(bank=exam.bank, type="single", stem=f"补充题{n}") for n in range(38)
    ]
    NotebookItem.objects.bulk_create(
        NotebookItem(cadre=people.cadre, question=q, due_on="2026-01-01") for q in bigger
    )
    assert page_queries(client, url) == NOTEBOOK_QUERIES


def test_removing_someone_elses_item_changes_nothing(cadre_client, people, exam):  # noqa: F811
    """A cadre posting another cadre's item id removes nothing."""
    other = NotebookItem.objects.create(
        cadre=people.sakura_cadre, question=Question.objects.first(), due_on="2026-01-01"
    )
    cadre_client.post(reverse("exam_notebook_remove", args=[other.pk]))
    assert NotebookItem.objects.filter(pk=other.pk).exists()


def test_adding_from_someone_elses_attempt_is_404(cadre_client, people, exam):  # noqa: F811
    """Another cadre's attempt row cannot be added to one's notebook."""
    attempt = answer(
        prep_services.mock_start(subject=exam, cadre=people.sakura_cadre), lambda r: {"对"}
    )
    row = attempt.questions.first()
    assert cadre_client.post(reverse("exam_notebook_add", args=[row.pk])).status_code == 404


def test_mastery_page_explains_readiness(cadre_client, people, exam):  # noqa: F811
    """After two mocks the readiness is their average, explained, with a chart."""
    for texts in ({"对", "甲", "乙", "丙"}, {"错一"}):
        answer(prep_services.mock_start(subject=exam, cadre=people.cadre), lambda r, t=texts: t)
    page = cadre_client.get(reverse("exam_mastery", args=[exam.code])).content.decode()
    assert "50%" in page  # (100 + 0) / 2
    assert "低于及格线" in page and "<svg" in page


# user, managed paths, the organization, the count and the page of preparing cadres, their exam
# attempts, the two permission lookups of the navigation, the unread-notification badge
ORGANIZATION_QUERIES = 9


def test_secretary_sees_who_prepares_in_the_subtree(client, people, tree, exam):  # noqa: F811
    """The street secretary sees the branch cadre's level, mocks and latest score; the
    neighbouring street's secretary gets 404; the query count does not grow with cadres."""
    answer(prep_services.mock_start(subject=exam, cadre=people.cadre), lambda r: {"对"})
    client.force_login(people.east_secretary)
    url = reverse("organization_exam", args=[tree.east.pk])
    page = client.get(url).content.decode()
    assert people.cadre.name in page
    assert "助理社会工作师（初级）" in page and "社会工作综合能力（初级）：50%" in page
    assert page_queries(client, url) == ORGANIZATION_QUERIES
    answer(prep_services.mock_start(subject=exam, cadre=people.sakura_cadre), lambda r: {"对"})
    prep_services.drill_start(
        subject=exam, chapter=exam.bank.categories.get(name="专业伦理"), cadre=people.cadre
    )
    assert page_queries(client, url) == ORGANIZATION_QUERIES
    client.force_login(people.south_secretary)
    assert client.get(url).status_code == 404
