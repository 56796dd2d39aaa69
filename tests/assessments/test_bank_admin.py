"""Question banks and quizzes in the Wagtail admin: who sees and changes what, and form checks."""

from decimal import Decimal

import pytest
from django.conf import settings
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from assessments.models import Option, Question, QuestionBank, QuestionCategory, Quiz

from ..factories import make_lecturer

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_lecturer(people):
    return make_lecturer(username="lecturer2", name="李老师", mobile="13800000021")


def make_bank(owner, name, editors=()):
    bank = QuestionBank.objects.create(name=name, owner=owner)
    bank.editors.set(editors)
    return bank


def make_question(bank, stem="社区党组织的领导核心是？", category=None, **fields):
    question = Question.objects.create(
        bank=bank, category=category, type=Question.Type.SINGLE, stem=stem, **fields
    )
    Option.objects.create(question=question, text="甲", correct=True, sort_order=0)
    Option.objects.create(question=question, text="乙", sort_order=1)
    return question


@pytest.fixture
def banks(people, other_lecturer):
    """Bank A of `people.lecturer`, bank B of `other_lecturer`, each with a category, a question."""
    bank_a = make_bank(people.lecturer, "甲的题库")
    bank_b = make_bank(other_lecturer, "乙的题库")
    cat_a = QuestionCategory.add_root(bank=bank_a, name="党建")
    cat_b = QuestionCategory.add_root(bank=bank_b, name="治理")
    return type(
        "Banks",
        (),
        {
            "a": bank_a,
            "b": bank_b,
            "cat_a": cat_a,
            "cat_b": cat_b,
            "question_a": make_question(bank_a, "甲的问题", cat_a),
            "question_b": make_question(bank_b, "乙的问题", cat_b),
        },
    )


def as_user(client, user):
    """Logs `client` in as `user`, speaking English so messages read as their msgids."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def question_form(bank, *, type="single", options=None, category=None, **extra):
    if options is None:
        options = [("正确答案", True), ("错误答案", False)]
    return nested_form_data(
        {
            "bank": bank.pk,
            "category": category.pk if category else "",
            "type": type,
            "difficulty": 2,
            "points": "1",
            "stem": "新题目",
            "options": inline_formset(
                [
                    {"text": text, "correct": "on" if correct else "", "feedback": ""}
                    for text, correct in options
                ]
            ),
            "accepted_answers": "",
            "explanation": "",
            "source": "",
            "name": "",
            "tags": "",
            "parent": "",
            "position": 0,
            **extra,
        }
    )


def quiz_form(owner, slots, **extra):
    return nested_form_data(
        {
            "title": "月考",
            "description": "",
            "owner": owner.pk,
            "lesson": "",
            "slots": inline_formset(
                [
                    {
                        "question": slot.get("question", ""),
                        "category": slot.get("category", ""),
                        "count": slot.get("count", 1),
                        "question_type": "",
                        "difficulty": "",
                        "points": "",
                    }
                    for slot in slots
                ]
            ),
            "time_limit_minutes": "",
            "opens_at": "",
            "closes_at": "",
            "attempts_allowed": 0,
            "grading": "highest",
            "pass_percent": "60",
            "multiple_scoring": "all",
            "partial_points_per_option": "0.5",
            "questions_per_page": 5,
            **extra,
        }
    )


def test_lecturer_lists_only_their_banks_questions_and_categories(client, people, banks):
    """List views show a lecturer's own rows and never another lecturer's."""
    client = as_user(client, people.lecturer)
    for url, mine, theirs in [
        ("/cms/assessments/banks/", "甲的题库", "乙的题库"),
        ("/cms/assessments/questions/", "甲的问题", "乙的问题"),
        ("/cms/assessments/categories/", "党建", "治理"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert mine in body and theirs not in body, url


@pytest.mark.parametrize("kind", ["banks", "questions", "categories"])
def test_lecturer_cannot_open_or_delete_others_rows(client, people, banks, kind):
    """Another lecturer's bank, question or category answers 404 to edit and delete."""
    row = {"banks": banks.b, "questions": banks.question_b, "categories": banks.cat_b}[kind]
    client = as_user(client, people.lecturer)
    assert client.get(f"/cms/assessments/{kind}/edit/{row.pk}/").status_code == 404
    assert (
        client.post(f"/cms/assessments/{kind}/edit/{row.pk}/", {"name": "改掉"}).status_code == 404
    )
    assert client.post(f"/cms/assessments/{kind}/delete/{row.pk}/").status_code == 404
    assert type(row).objects.filter(pk=row.pk).exists()


def test_lecturer_cannot_change_others_question(client, people, banks):
    """Posting an edit of another lecturer's question by URL changes nothing."""
    response = as_user(client, people.lecturer).post(
        f"/cms/assessments/questions/edit/{banks.question_b.pk}/", question_form(banks.a)
    )
    assert response.status_code == 404
    banks.question_b.refresh_from_db()
    assert banks.question_b.stem == "乙的问题"
    assert banks.question_b.bank == banks.b


def test_lecturer_cannot_see_or_change_others_quiz(client, people, other_lecturer, banks):
    """Quizzes are their owner's: others get 404 and the list leaves them out."""
    quiz = Quiz.objects.create(title="乙的测验", owner=other_lecturer)
    client = as_user(client, people.lecturer)
    assert "乙的测验" not in client.get("/cms/assessments/quizzes/").content.decode()
    assert client.get(f"/cms/assessments/quizzes/edit/{quiz.pk}/").status_code == 404
    assert client.post(f"/cms/assessments/quizzes/delete/{quiz.pk}/").status_code == 404
    assert Quiz.objects.filter(pk=quiz.pk, title="乙的测验").exists()


def test_editor_of_a_bank_edits_its_questions(client, people, other_lecturer, banks):
    """A lecturer listed as editor of a bank changes its questions, but may not delete the bank."""
    banks.b.editors.add(people.lecturer)
    client = as_user(client, people.lecturer)
    assert client.get(f"/cms/assessments/banks/edit/{banks.b.pk}/").status_code == 200
    response = client.post(
        f"/cms/assessments/questions/edit/{banks.question_b.pk}/",
        question_form(banks.b, category=banks.cat_b, stem="编辑改过"),
    )
    assert response.status_code == 302, response.context["form"].errors
    banks.question_b.refresh_from_db()
    assert banks.question_b.stem == "编辑改过"
    refused = client.post(f"/cms/assessments/banks/delete/{banks.b.pk}/")
    assert (refused.status_code, refused.url) == (302, "/cms/")  # Wagtail's permission refusal
    assert QuestionBank.objects.filter(pk=banks.b.pk).exists()


def test_superuser_sees_every_bank(client, people, banks):
    """A platform admin lists and opens every lecturer's bank."""
    client = as_user(client, people.admin)
    body = client.get("/cms/assessments/banks/").content.decode()
    assert "甲的题库" in body and "乙的题库" in body
    assert client.get(f"/cms/assessments/questions/edit/{banks.question_b.pk}/").status_code == 200


def test_new_bank_belongs_to_its_creator(client, people, other_lecturer):
    """A lecturer's new bank is theirs whatever owner is posted."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/banks/new/",
        {"name": "新题库", "description": "", "owner": other_lecturer.pk},
    )
    assert response.status_code == 302
    assert QuestionBank.objects.get(name="新题库").owner == people.lecturer


def test_question_form_offers_only_own_banks_and_categories(client, people, banks):
    """The bank and category choosers list only the lecturer's banks."""
    form = as_user(client, people.lecturer).get("/cms/assessments/questions/new/").context["form"]
    assert list(form.fields["bank"].queryset) == [banks.a]
    assert list(form.fields["category"].queryset) == [banks.cat_a]


def test_question_cannot_be_added_to_others_bank(client, people, banks):
    """Posting another lecturer's bank is a form error; nothing is created."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/questions/new/", question_form(banks.b)
    )
    assert response.status_code == 200
    assert "bank" in response.context["form"].errors
    assert not Question.objects.filter(stem="新题目").exists()


@pytest.mark.parametrize(
    ("kind", "options", "extra", "message"),
    [
        ("single", [("甲", True), ("乙", True)], {}, "exactly one correct option"),
        ("single", [("甲", False), ("乙", False)], {}, "exactly one correct option"),
        ("true_false", [("正确", False), ("错误", False)], {}, "exactly one correct option"),
        ("multiple", [("甲", True)], {}, "at least two options"),
        ("multiple", [("甲", False), ("乙", False)], {}, "at least one correct option"),
        ("fill_blank", [], {"accepted_answers": "  "}, "at least one accepted answer"),
        ("essay", [("甲", True), ("乙", False)], {}, "takes no options"),
        ("case", [("甲", True), ("乙", False)], {}, "takes no options"),
    ],
)
def test_question_form_checks_options_against_type(
    client, people, banks, kind, options, extra, message
):
    """Each type's rule on options and answers is enforced when saving."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/questions/new/",
        question_form(banks.a, type=kind, options=options, **extra),
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert message in errors
    assert not Question.objects.filter(stem="新题目").exists()


@pytest.mark.parametrize(
    ("kind", "options", "extra"),
    [
        ("single", [("甲", True), ("乙", False)], {}),
        ("multiple", [("甲", True), ("乙", True), ("丙", False)], {}),
        ("fill_blank", [], {"accepted_answers": "网格员\n网格管理员"}),
        ("essay", [], {}),
    ],
)
def test_question_form_saves_valid_questions(client, people, banks, kind, options, extra):
    """A well-formed question of each type is saved with its options."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/questions/new/",
        question_form(banks.a, type=kind, options=options, category=banks.cat_a, **extra),
    )
    assert response.status_code == 302, response.context["form"].errors
    question = Question.objects.get(stem="新题目")
    assert question.options.count() == len(options)
    assert question.category == banks.cat_a


def test_question_category_must_be_of_the_same_bank(client, people, other_lecturer, banks):
    """A category of another bank (even one the user edits) is refused."""
    banks.b.editors.add(people.lecturer)
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/questions/new/", question_form(banks.a, category=banks.cat_b)
    )
    assert response.status_code == 200
    assert "category" in response.context["form"].errors


def test_case_part_needs_a_case_of_the_same_bank(client, people, banks):
    """A sub-question's parent must be a case question of the same bank."""
    banks.b.editors.add(people.lecturer)
    case_b = Question.objects.create(bank=banks.b, type="case", stem="乙的案例")
    client = as_user(client, people.lecturer)
    response = client.post(
        "/cms/assessments/questions/new/", question_form(banks.a, parent=banks.question_a.pk)
    )
    assert "parent" in response.context["form"].errors  # not a case: not even offered
    response = client.post(
        "/cms/assessments/questions/new/", question_form(banks.a, parent=case_b.pk)
    )
    assert "parent" in response.context["form"].errors
    case_a = Question.objects.create(bank=banks.a, type="case", stem="甲的案例")
    response = client.post(
        "/cms/assessments/questions/new/", question_form(banks.a, parent=case_a.pk)
    )
    assert response.status_code == 302
    assert Question.objects.get(stem="新题目").parent == case_a


def test_new_category_goes_into_the_tree(client, people, banks):
    """A category added below another lands in the same bank's tree."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/categories/new/",
        {"bank": banks.a.pk, "parent": banks.cat_a.pk, "name": "党章"},
    )
    assert response.status_code == 302
    child = QuestionCategory.objects.get(name="党章")
    assert child.get_parent() == banks.cat_a
    assert child.label == "党建 / 党章"
    assert QuestionCategory.find_problems() == ([], [], [], [], [])


def test_quiz_form_refuses_a_draw_the_bank_cannot_fill(client, people, banks):
    """Drawing more questions than the category holds is a form error; nothing is saved."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/quizzes/new/",
        quiz_form(people.lecturer, [{"category": banks.cat_a.pk, "count": 5}]),
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "1 matching questions; 5 are drawn" in errors
    assert not Quiz.objects.exists()


def test_quiz_slot_needs_a_question_or_a_category(client, people, banks):
    """A slot with both a question and a category is refused."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/quizzes/new/",
        quiz_form(
            people.lecturer,
            [{"question": banks.question_a.pk, "category": banks.cat_a.pk, "count": 1}],
        ),
    )
    assert response.status_code == 200
    assert not Quiz.objects.exists()


def test_quiz_form_saves_a_fillable_quiz_owned_by_its_author(client, people, other_lecturer, banks):
    """A quiz whose draws can be filled is saved, owned by the lecturer who made it."""
    make_question(banks.a, "甲的第二题", banks.cat_a)
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/quizzes/new/",
        quiz_form(other_lecturer, [{"category": banks.cat_a.pk, "count": 2}]),
    )
    assert response.status_code == 302, response.context["form"].errors
    quiz = Quiz.objects.get()
    assert quiz.owner == people.lecturer
    assert quiz.slots.get().count == 2


def test_quiz_slots_offer_only_own_questions(client, people, banks):
    """A slot cannot draw on another lecturer's bank."""
    response = as_user(client, people.lecturer).post(
        "/cms/assessments/quizzes/new/",
        quiz_form(people.lecturer, [{"question": banks.question_b.pk}]),
    )
    assert response.status_code == 200
    assert not Quiz.objects.exists()
    assert Decimal("1") == banks.question_b.points


@pytest.mark.parametrize("kind", ["banks", "categories", "questions", "quizzes"])
def test_lecturer_opens_every_add_form_and_listing(client, people, banks, kind):
    """The menu group's listings and add forms open for a lecturer."""
    client = as_user(client, people.lecturer)
    assert client.get(f"/cms/assessments/{kind}/").status_code == 200
    assert client.get(f"/cms/assessments/{kind}/new/").status_code == 200


def test_question_listing_filters_by_category_subtree(client, people, banks):
    """Filtering by a category lists its questions and those of the categories below it."""
    child = QuestionCategory.objects.get(pk=banks.cat_a.pk).add_child(bank=banks.a, name="党章")
    make_question(banks.a, "子类的问题", child)
    make_question(banks.a, "无类的问题")
    body = (
        as_user(client, people.lecturer)
        .get(f"/cms/assessments/questions/?category={banks.cat_a.pk}")
        .content.decode()
    )
    assert "甲的问题" in body and "子类的问题" in body
    assert "无类的问题" not in body


def test_quiz_list_links_to_statistics(client, people, objective_quiz):
    """Each quiz in the lecturer's list links to its statistics and to the cadre's page."""
    client.force_login(people.lecturer)
    page = client.get("/cms/assessments/quizzes/").content.decode()
    assert f"/cms/marking/quiz/{objective_quiz.pk}/statistics/" in page
    assert f"/quiz/{objective_quiz.pk}/" in page


def test_exam_practice_quizzes_stay_out_of_the_quiz_list(client, people, objective_quiz):
    """A drill quiz owned by the lecturer is neither listed nor editable as a quiz."""
    drill = Quiz.objects.create(title="章节练习：专业伦理", owner=people.lecturer, mode="drill")
    client.force_login(people.lecturer)
    page = client.get("/cms/assessments/quizzes/").content.decode()
    assert objective_quiz.title in page and drill.title not in page
    assert client.get(f"/cms/assessments/quizzes/edit/{objective_quiz.pk}/").status_code == 200
    assert client.get(f"/cms/assessments/quizzes/edit/{drill.pk}/").status_code == 404
