"""考核评价: four components from the year's records, weighted by the setting into a score and a
grade, recorded with its inputs; a secretary adjusts the grade only with a reason, which
recomputing keeps; the cadre reads their own evaluation, nobody outside the subtree sees it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from assessments import prep_services
from courses import services as course_services
from courses.models import CreditEntry, TrainingRequirement
from lms import services
from lms.archive import evaluation_card, learning_archive
from lms.models import Evaluation, EvaluationSettings, Notification, grade_for

from ..assessments.conftest import bank  # noqa: F401  (a fixture)
from ..assessments.test_prep import answer, exam  # noqa: F401  (exam: a fixture)
from ..courses.conftest import catalogue, make_course  # noqa: F401  (catalogue: a fixture)
from .test_archive import ethics_quiz, grant, take

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
G = Evaluation.Grade


def component_values(evaluation) -> dict[str, str]:
    """The four component values as recorded."""
    return {
        key: evaluation.components[key]["value"]
        for key in ("hours", "courses", "assessments", "practice")
    }


def set_rules(**fields) -> EvaluationSettings:
    """Changes the evaluation setting as the CMS would, after its checks."""
    rules = EvaluationSettings.load()
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.full_clean()
    rules.save()
    return rules


class TestTheFigures:
    def test_a_year_with_everything(self, people, tree, catalogue, bank, exam):  # noqa: F811
        """Hours 15 of 20 → 75; 1 of 2 required courses → 50; best quiz 100 % and mock 75 %
        → 87.5; practice 3 + 1 of 8 hours → 50. Score 0.4×75 + 0.3×50 + 0.2×87.5 + 0.1×50
        = 67.5: pass."""
        done = make_course(catalogue, title="基层党组织建设", slug="jcdj", credit_hours=Decimal(2))
        pending = make_course(catalogue, title="社区矛盾调解实务", slug="mdtj")
        requirement = TrainingRequirement.objects.create(
            name="年度学习", year=YEAR, organization=tree.east, total_hours=Decimal(20)
        )
        requirement.required_courses.add(done, pending)
        enrollment = course_services.enrollment_create(cadre=people.cadre, course=done)
        course_services.course_complete(enrollment=enrollment, by=None)  # 2 online hours
        grant(people.cadre, "9", "online:misc", kind=CreditEntry.Kind.ONLINE_COURSE)
        grant(people.cadre, "3", "class:1")
        wrong = grant(people.cadre, "4.5", "practice:1", kind=CreditEntry.Kind.PRACTICE)
        course_services.credit_reverse(entry=wrong, reason="重复登记", reversed_by=None)
        grant(people.cadre, "1", "ext:1", kind=CreditEntry.Kind.EXTERNAL)
        quiz = ethics_quiz(people, bank)
        take(quiz, people.cadre, right=1)  # 50 %: not the best attempt
        take(quiz, people.cadre, right=2)  # 100 %
        answer(
            prep_services.mock_start(subject=exam, cadre=people.cadre), lambda r: {"对", "甲", "乙"}
        )
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        assert component_values(evaluation) == {
            "hours": "75.0",
            "courses": "50.0",
            "assessments": "87.5",
            "practice": "50.0",
        }
        assert evaluation.score == Decimal("67.5")
        assert evaluation.grade == G.PASS == evaluation.final_grade
        assert evaluation.components["hours"]["earned"] == "15.00"
        assert evaluation.components["courses"] == {
            "weight": 30,
            "value": "50.0",
            "done": 1,
            "total": 2,
        }
        best = evaluation.components["assessments"]["best"]
        assert sorted(row["percent"] for row in best) == ["100.0", "75.0"]

    def test_no_requirement_and_no_attempts(self, people):
        """No requirement: hours and courses count 100; no quiz taken counts 0, and the card
        says so; no practice: 0. Score 40 + 30 = 70: pass."""
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        assert component_values(evaluation) == {
            "hours": "100.0",
            "courses": "100.0",
            "assessments": "0.0",
            "practice": "0.0",
        }
        assert (evaluation.score, evaluation.grade) == (Decimal("70.0"), G.PASS)
        card = evaluation_card(learning_archive(people.cadre, year=YEAR), evaluation)
        explanations = {row["key"]: row["explanation"] for row in card["rows"]}
        assert explanations["assessments"] == gettext(
            "No quiz or mock exam was taken this year, so this counts as 0."
        )
        assert explanations["hours"] == gettext(
            "No hours requirement applies this year, so this counts as 100."
        )

    def test_hours_and_practice_are_capped_and_the_score_rounded_half_up(self, people, tree):
        """30 of 20 hours counts 100, not 150; 1 practice hour of 8 is 12.5, worth 1.25
        points: 40 + 30 + 0 + 1.25 = 71.25 → 71.3."""
        TrainingRequirement.objects.create(
            name="年度学习", year=YEAR, organization=tree.east, total_hours=Decimal(20)
        )
        grant(people.cadre, "29", "online:1", kind=CreditEntry.Kind.ONLINE_COURSE)
        grant(people.cadre, "1", "practice:1", kind=CreditEntry.Kind.PRACTICE)
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        assert component_values(evaluation)["hours"] == "100.0"
        assert component_values(evaluation)["practice"] == "12.5"
        assert evaluation.score == Decimal("71.3")

    def test_weights_and_thresholds_come_from_the_setting(self, people):
        """With 25 % each the same year (100, 100, 0, 0) scores 50: fail; with pass from 50
        it passes; the weights used are recorded with the evaluation."""
        set_rules(hours_weight=25, courses_weight=25, assessments_weight=25, practice_weight=25)
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        assert (evaluation.score, evaluation.grade) == (Decimal("50.0"), G.FAIL)
        assert evaluation.components["hours"]["weight"] == 25
        set_rules(pass_from=50)
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        assert evaluation.grade == G.PASS
        assert evaluation.components["thresholds"] == {"excellent": 90, "good": 75, "pass": 50}

    def test_a_perfect_quiz_without_practice_is_exactly_excellent(self, people, bank):  # noqa: F811
        """100 + 100 + 100 + 0 weighted 40/30/20/10 is 90: the excellent threshold itself."""
        take(ethics_quiz(people, bank), people.cadre, right=2)
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        assert (evaluation.score, evaluation.grade) == (Decimal("90.0"), G.EXCELLENT)

    def test_grade_thresholds(self):
        """Each threshold belongs to its grade; just below it, the grade under."""
        thresholds = {G.EXCELLENT: 90, G.GOOD: 75, G.PASS: 60}
        cases = {"90": G.EXCELLENT, "89.9": G.GOOD, "75": G.GOOD, "74.9": G.PASS, "60": G.PASS}
        cases["59.9"] = G.FAIL
        for score, grade in cases.items():
            assert grade_for(Decimal(score), thresholds) == grade, score


class TestTheSetting:
    def test_weights_must_add_up_to_100(self):
        """40 + 30 + 20 + 20 = 110 is refused, naming the total."""
        rules = EvaluationSettings.load()
        rules.practice_weight = 20
        with pytest.raises(ValidationError) as error:
            rules.full_clean()
        assert "110" in str(error.value)

    def test_thresholds_must_descend(self):
        """Good at or above excellent is refused."""
        rules = EvaluationSettings.load()
        rules.good_from = 90
        with pytest.raises(ValidationError):
            rules.full_clean()

    def test_the_cms_form_refuses_weights_not_adding_up(self, client, people):
        """Saving 110 % in the CMS shows the total and keeps the old weights."""
        client.force_login(people.admin)
        url = f"/cms/settings/lms/evaluationsettings/{EvaluationSettings.load().pk}/"
        assert client.get(url).status_code == 200
        form = {
            "hours_weight": 50,
            "courses_weight": 30,
            "assessments_weight": 20,
            "practice_weight": 10,
            "excellent_from": 90,
            "good_from": 75,
            "pass_from": 60,
            "practice_target_hours": "8",
        }
        response = client.post(url, form)
        assert response.status_code == 200 and "110" in response.content.decode()
        assert EvaluationSettings.load().hours_weight == 40
        form["hours_weight"] = 40
        assert client.post(url, form).status_code == 302

    def test_the_defaults_are_valid(self):
        """40/30/20/10, 90/75/60 and 8 practice hours pass their own checks."""
        rules = EvaluationSettings.load()
        rules.full_clean()
        assert rules.weights() == {"hours": 40, "courses": 30, "assessments": 20, "practice": 10}
        assert rules.practice_target_hours == 8


class TestAdjustment:
    def test_without_a_reason_nothing_changes(self, people):
        """An empty or too short reason is refused with a clear message; the evaluation and
        the cadre's notifications stay as they were."""
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        for reason in ("", "   ", "太短了"):
            with pytest.raises(ValidationError) as error:
                services.evaluation_adjust(
                    evaluation=evaluation,
                    grade=G.EXCELLENT,
                    reason=reason,
                    by=people.east_secretary,
                )
            assert "10" in error.value.message_dict["reason"][0]
        evaluation.refresh_from_db()
        assert (evaluation.adjusted_grade, evaluation.adjustments) == ("", [])
        assert not Notification.objects.filter(user=people.cadre).exists()

    def test_the_database_refuses_an_adjusted_grade_without_reason(self, people):
        """The check constraint holds even for writes that bypass the service."""
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        with pytest.raises(IntegrityError), transaction.atomic():
            Evaluation.objects.filter(pk=evaluation.pk).update(adjusted_grade=G.GOOD)

    def test_an_adjustment_is_recorded_and_the_cadre_told(self, people):
        """The adjusted grade counts, the computed one stays visible, the history keeps who
        and why, and the cadre gets a notification linking to their archive."""
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        reason = "全年承担疫情防控值守任务，学习时间受影响"
        adjusted = services.evaluation_adjust(
            evaluation=evaluation, grade=G.GOOD, reason=reason, by=people.east_secretary
        )
        assert (adjusted.grade, adjusted.final_grade) == (G.PASS, G.GOOD)
        assert adjusted.adjusted_by == people.east_secretary
        assert [a["reason"] for a in adjusted.adjustments] == [reason]
        notification = Notification.objects.get(user=people.cadre)
        assert notification.body == reason and notification.url == f"/archive/?year={YEAR}"

    def test_nobody_adjusts_their_own_evaluation(self, people):
        """Even a manager cannot adjust the evaluation of themself."""
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        with pytest.raises(PermissionError):
            services.evaluation_adjust(
                evaluation=evaluation,
                grade=G.EXCELLENT,
                reason="我觉得我很优秀。" * 2,
                by=people.cadre,
            )

    def test_recomputing_keeps_the_adjustment_and_shows_the_new_score(self, people):
        """After more hours the score is new, the adjusted grade and its reason remain."""
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        services.evaluation_adjust(
            evaluation=evaluation,
            grade=G.EXCELLENT,
            reason="获评市级优秀社区工作者，表现突出",
            by=people.east_secretary,
        )
        grant(people.cadre, "8", "practice:1", kind=CreditEntry.Kind.PRACTICE)
        again = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        assert again.pk == evaluation.pk and Evaluation.objects.count() == 1
        assert (again.score, again.grade) == (Decimal("80.0"), G.GOOD)
        assert again.adjusted_grade == G.EXCELLENT == again.final_grade
        assert again.adjustment_reason == "获评市级优秀社区工作者，表现突出"


class TestEvaluationPages:
    url = "/manage/cadre/{pk}/archive/"

    def test_the_secretary_records_recomputes_and_adjusts(self, client, people):
        """Before recording, the card shows provisional figures; the button records them;
        an adjustment without a reason is refused on the page and changes nothing; with one
        it is shown with its history."""
        client.force_login(people.east_secretary)
        page = client.get(self.url.format(pk=people.cadre.pk)).content.decode()
        assert "data-evaluation-score>70<" in page and "evaluation/adjust" not in page
        assert not Evaluation.objects.exists()
        response = client.post(
            f"/manage/cadre/{people.cadre.pk}/evaluation/compute/", {"year": YEAR}
        )
        assert response.status_code == 302
        evaluation = Evaluation.objects.get(cadre=people.cadre, year=YEAR)
        adjust = f"/manage/cadre/{people.cadre.pk}/evaluation/adjust/"
        response = client.post(adjust, {"year": YEAR, "grade": G.EXCELLENT, "reason": ""})
        assert response.status_code == 400
        message = gettext(
            "Give the reason for adjusting the grade, in at least %(count)s characters."
        ) % {"count": 10}
        assert message in response.content.decode()
        evaluation.refresh_from_db()
        assert evaluation.adjusted_grade == ""
        reason = "连续三年社区治理考核第一，酌情上调"
        response = client.post(adjust, {"year": YEAR, "grade": G.EXCELLENT, "reason": reason})
        assert response.status_code == 302
        page = client.get(self.url.format(pk=people.cadre.pk)).content.decode()
        assert reason in page and str(G.EXCELLENT.label) in page

    def test_the_cadre_reads_their_own_evaluation_and_cannot_change_it(self, client, people):
        """The cadre's archive shows the evaluation without forms; posting to the secretary's
        actions answers 404 and changes nothing."""
        evaluation = services.evaluation_compute(cadre=people.cadre, year=YEAR)
        client.force_login(people.cadre)
        page = client.get("/archive/").content.decode()
        assert "data-evaluation-score>70<" in page
        assert "evaluation/adjust" not in page and "evaluation/compute" not in page
        for action in ("compute", "adjust"):
            response = client.post(
                f"/manage/cadre/{people.cadre.pk}/evaluation/{action}/",
                {"year": YEAR, "grade": G.EXCELLENT, "reason": "我自己认为应当评为优秀"},
            )
            assert response.status_code == 404
        evaluation.refresh_from_db()
        assert evaluation.adjusted_grade == ""

    def test_secretaries_outside_the_subtree_get_404(self, client, people):
        """The other street's secretary can neither see nor compute nor adjust."""
        services.evaluation_compute(cadre=people.cadre, year=YEAR)
        client.force_login(people.south_secretary)
        assert client.get(self.url.format(pk=people.cadre.pk)).status_code == 404
        for action in ("compute", "adjust"):
            response = client.post(
                f"/manage/cadre/{people.cadre.pk}/evaluation/{action}/",
                {"year": YEAR, "grade": G.FAIL, "reason": "越权操作的理由足够长"},
            )
            assert response.status_code == 404
        assert Evaluation.objects.get().adjusted_grade == ""
