"""Social-work exam preparation: mock exams built from the paper's data, chapter drills, daily
practice, the wrong-answer notebook (错题本) and its spaced review (Leitner boxes).

Every mode is a quiz taken through the attempt engine, so the server keeps the clock and the
scoring; what this module adds is which questions are asked and what the results change.
"""

import datetime
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CreditEntry
from courses.services import credit_grant
from lms.models import CadreProfile, User
from lms.services import notification_send
from lms.uploads import clean_upload

from . import grading, services
from .models import (
    REVIEW_FACETS,
    Attempt,
    AttemptQuestion,
    ExamPrepSettings,
    ExamSubject,
    KnowledgeStat,
    NotebookItem,
    PaperSection,
    QualificationClaim,
    Question,
    QuestionCategory,
    Quiz,
    QuizSlot,
)

AUTO_MARKED = grading.AUTO_MARKED_TYPES


# --- the paper ---------------------------------------------------------------------------------


def paper_shortfalls(sections: list[PaperSection]) -> list[str]:
    """Why a paper cannot be filled from its bank (empty when it can)."""
    problems = []
    for section in sections:
        available = services.slot_candidates(
            category=section.category, question_type=section.question_type
        ).count()
        if available < section.count:
            problems.append(
                _("%(section)s needs %(count)s questions; the bank has %(available)s.")
                % {"section": section.title, "count": section.count, "available": available}
            )
    return problems


def _mode_quiz(subject: ExamSubject, mode: str, **fields) -> Quiz:
    quiz = Quiz.objects.filter(exam_subject=subject, mode=mode, **fields.pop("lookup", {})).first()
    settings = {
        "title": fields.pop("title"),
        "owner_id": subject.bank.owner_id,
        "multiple_scoring": Quiz.MultipleScoring.EXAM,
        "partial_points_per_option": subject.partial_points_per_option,
        "pass_percent": subject.pass_percent,
        **fields,
    }
    if quiz is None:
        return Quiz.objects.create(exam_subject=subject, mode=mode, **settings)
    for name, value in settings.items():
        setattr(quiz, name, value)
    quiz.save()
    return quiz


@transaction.atomic
def exam_subject_sync(*, subject: ExamSubject) -> Quiz:
    """Keeps the subject's mock exam in step with its paper: time, scoring and one random draw
    per section; refuses a paper its bank cannot fill."""
    sections = list(subject.sections.select_related("category"))
    problems = paper_shortfalls(sections)
    if problems:
        raise services.NotEnoughQuestions(" ".join(problems))
    quiz = _mode_quiz(
        subject,
        Quiz.Mode.MOCK,
        title=_("Mock exam: %(subject)s") % {"subject": subject.name},
        time_limit_minutes=subject.time_limit_minutes,
        questions_per_page=10,
        shuffle_options=True,
        **_review(during=False),
    )
    quiz.slots.all().delete()
    QuizSlot.objects.bulk_create(
        QuizSlot(
            quiz=quiz,
            category=section.category,
            count=section.count,
            question_type=section.question_type,
            points=section.points,
            sort_order=section.position,
        )
        for section in sections
    )
    return quiz


def _review(*, during: bool) -> dict:
    """Practice shows everything as soon as an answer is checked; a mock only after it."""
    return {
        **{f"during_{facet}": during for facet in REVIEW_FACETS},
        **{f"after_{facet}": True for facet in REVIEW_FACETS},
        **{f"closed_{facet}": True for facet in REVIEW_FACETS},
    }


# --- starting a mode -----------------------------------------------------------------------------


class MockInProgress(services.AttemptError):
    status = 409

    def __init__(self, attempt: Attempt):
        self.attempt = attempt
        super().__init__(_("You have a mock exam of this subject in progress; continue it."))


def mock_start(*, subject: ExamSubject, cadre: User) -> Attempt:
    """Starts a full mock exam; one in progress per subject, which is named, not replaced."""
    quiz = subject.quizzes.filter(mode=Quiz.Mode.MOCK).first() or exam_subject_sync(subject=subject)
    current = Attempt.objects.filter(
        quiz=quiz, cadre=cadre, state=Attempt.State.IN_PROGRESS
    ).first()
    if current is not None and not services.is_overdue(current):
        raise MockInProgress(current)
    return services.attempt_start(quiz=quiz, cadre=cadre)


def drill_start(*, subject: ExamSubject, chapter: QuestionCategory, cadre: User) -> Attempt:
    """A chapter drill: questions of one chapter, each checked at once with its explanation."""
    if chapter.bank_id != subject.bank_id:
        raise services.QuizUnavailable(_("This chapter is not part of the subject."))
    prep = ExamPrepSettings.load()
    available = services.slot_candidates(category=chapter).filter(type__in=AUTO_MARKED).count()
    if not available:
        raise services.NotEnoughQuestions(_("This chapter has no practice questions yet."))
    quiz = _mode_quiz(
        subject,
        Quiz.Mode.DRILL,
        lookup={"slots__category": chapter},
        title=_("Chapter drill: %(chapter)s") % {"chapter": chapter.name},
        questions_per_page=1,
        **_review(during=True),
    )
    count = min(prep.drill_size, available)
    questions = _pick(services.slot_candidates(category=chapter), count, random.Random())
    if not quiz.slots.exists():
        quiz.slots.create(category=chapter, count=count)
    return _personal_start(quiz, cadre, questions)


def _pick(questions, count: int, rng: random.Random) -> list[int]:
    if count <= 0:
        return []
    pool = list(questions.filter(type__in=AUTO_MARKED).values_list("pk", flat=True))
    return rng.sample(pool, min(count, len(pool)))


def _personal_start(quiz: Quiz, cadre: User, question_ids: list[int]) -> Attempt:
    """Starts an attempt asking exactly these questions, or resumes the one left open."""
    return services.attempt_start(quiz=quiz, cadre=cadre, question_ids=question_ids)


def daily_questions(
    *, subject: ExamSubject, cadre: User, today: datetime.date | None = None
) -> list[int]:
    """Today's set: due notebook items first (up to half), then questions of the weakest
    knowledge points, then anything (a new cadre); the same set all day for the same cadre."""
    today = today or timezone.localdate()
    size = ExamPrepSettings.load().daily_size
    rng = random.Random(f"{cadre.pk}:{subject.pk}:{today.isoformat()}")
    in_bank = Question.objects.filter(bank_id=subject.bank_id, parent__isnull=True)
    due = list(
        NotebookItem.objects.filter(
            cadre=cadre,
            question__bank_id=subject.bank_id,
            mastered_at__isnull=True,
            due_on__lte=today,
        )
        .order_by("due_on", "box", "pk")
        .values_list("question_id", flat=True)[: max(1, size // 2)]
    )
    chosen = list(due)
    weakest = list(
        KnowledgeStat.objects.filter(cadre=cadre, category__bank_id=subject.bank_id, answered__gt=0)
        .annotate(misses=F("answered") - F("correct"))
        .filter(misses__gt=0)
        .order_by(F("correct") * 1.0 / F("answered"), "-answered")
        .values_list("category_id", flat=True)[:3]
    )
    if weakest:  # the rest from the weakest knowledge points, the weakest first
        pools: dict[int, list[int]] = {category_id: [] for category_id in weakest}
        candidates = in_bank.filter(category_id__in=weakest, type__in=AUTO_MARKED).exclude(
            pk__in=chosen
        )
        for pk, category_id in candidates.values_list("pk", "category_id").order_by("pk"):
            pools[category_id].append(pk)
        for pool in pools.values():
            chosen += rng.sample(pool, min(len(pool), size - len(chosen)))
    chosen += _pick(in_bank.exclude(pk__in=chosen), size - len(chosen), rng)
    return chosen


def daily_start(*, subject: ExamSubject, cadre: User) -> Attempt:
    quiz = _mode_quiz(
        subject,
        Quiz.Mode.DAILY,
        title=_("Daily practice: %(subject)s") % {"subject": subject.name},
        questions_per_page=1,
        **_review(during=True),
    )
    return _personal_start(quiz, cadre, daily_questions(subject=subject, cadre=cadre))


def review_start(*, subject: ExamSubject, cadre: User) -> Attempt:
    """Reviews the notebook items of the subject that are due today."""
    due = list(
        NotebookItem.objects.filter(
            cadre=cadre,
            question__bank_id=subject.bank_id,
            mastered_at__isnull=True,
            due_on__lte=timezone.localdate(),
        ).values_list("question_id", flat=True)[:50]
    )
    if not due:
        raise services.NotEnoughQuestions(_("Nothing is due for review today."))
    quiz = _mode_quiz(
        subject,
        Quiz.Mode.REVIEW,
        title=_("Notebook review: %(subject)s") % {"subject": subject.name},
        questions_per_page=1,
        **_review(during=True),
    )
    return _personal_start(quiz, cadre, due)


# --- what results change -------------------------------------------------------------------------


def results_record(*, attempt: Attempt, rows: list[AttemptQuestion]) -> None:
    """After grading: wrong answers go to the notebook, right ones move notebook items up a
    box (mastered after the configured streak), knowledge-point statistics are updated, and a
    passed mock may earn credit hours."""
    marked = [  # questions left unanswered are neither practised nor wrong
        row
        for row in rows
        if row.score is not None
        and row.response not in (None, "", [])
        and row.snapshot.get("question_id")
        and row.snapshot["type"] in AUTO_MARKED
    ]
    if marked:
        _notebook_update(attempt, marked)
        _stats_update(attempt.cadre_id, marked)
    if attempt.quiz.mode == Quiz.Mode.MOCK and attempt.passed:
        _mock_credit(attempt)


def _notebook_update(attempt: Attempt, rows: list[AttemptQuestion]) -> None:
    prep = ExamPrepSettings.load()
    intervals = prep.intervals()
    today = timezone.localdate()
    now = timezone.now()
    question_ids = {row.snapshot["question_id"] for row in rows}
    items = {
        item.question_id: item
        for item in NotebookItem.objects.filter(
            cadre_id=attempt.cadre_id, question_id__in=question_ids
        )
    }
    alive = set(Question.objects.filter(pk__in=question_ids).values_list("pk", flat=True))
    for row in rows:
        qid = row.snapshot["question_id"]
        right = row.score >= row.points
        item = items.get(qid)
        if item is None:
            if right or qid not in alive:
                continue  # only mistakes enter the notebook
            item = items[qid] = NotebookItem(
                cadre_id=attempt.cadre_id, question_id=qid, box=1, streak=0, wrong_count=0
            )
            item.due_on = today
        item.last_reviewed_at = now
        if right:
            item.streak += 1
            item.box = min(item.box + 1, len(intervals))
            if item.streak >= prep.mastery_streak and item.mastered_at is None:
                item.mastered_at = now
        else:
            item.wrong_count += 1
            item.streak, item.box, item.mastered_at = 0, 1, None
        item.due_on = today + datetime.timedelta(days=intervals[item.box - 1])
    # one upsert for new and changed items alike (a bulk_update's CASE costs a row each)
    NotebookItem.objects.bulk_create(
        [item for item in items.values() if item.last_reviewed_at == now],
        update_conflicts=True,
        unique_fields=["cadre", "question"],
        update_fields=["streak", "box", "mastered_at", "wrong_count", "due_on", "last_reviewed_at"],
    )


def _stats_update(cadre_id: int, rows: list[AttemptQuestion]) -> None:
    counts: dict[int, list[int]] = {}
    for row in rows:
        category_id = row.snapshot.get("category_id")
        if category_id:
            tally = counts.setdefault(category_id, [0, 0])
            tally[0] += 1
            tally[1] += row.score >= row.points
    if not counts:
        return
    before = {
        category_id: (answered, correct)
        for category_id, answered, correct in KnowledgeStat.objects.filter(
            cadre_id=cadre_id, category_id__in=counts
        ).values_list("category_id", "answered", "correct")
    }
    alive = QuestionCategory.objects.filter(pk__in=counts).values_list("pk", flat=True)
    KnowledgeStat.objects.bulk_create(
        [
            KnowledgeStat(
                cadre_id=cadre_id,
                category_id=category_id,
                answered=before.get(category_id, (0, 0))[0] + counts[category_id][0],
                correct=before.get(category_id, (0, 0))[1] + counts[category_id][1],
            )
            for category_id in alive
        ],
        update_conflicts=True,
        unique_fields=["cadre", "category"],
        update_fields=["answered", "correct"],
    )


def _mock_credit(attempt: Attempt) -> None:
    subject = attempt.quiz.exam_subject
    if subject is None or subject.mock_credit_hours <= 0:
        return
    year = timezone.localtime(attempt.finished_at).year
    credit_grant(
        cadre=attempt.cadre,
        kind=CreditEntry.Kind.TEST_PASS,
        source=f"mock:{subject.pk}:{year}",
        hours=subject.mock_credit_hours,
        description=_("Mock exam passed: %(subject)s") % {"subject": subject.name},
        year=year,
    )


# --- the notebook by hand ------------------------------------------------------------------------


def notebook_add(*, cadre: User, row: AttemptQuestion) -> NotebookItem:
    """Adds a question the cadre was asked (one of their own attempt rows) to the notebook."""
    if row.attempt.cadre_id != cadre.pk or row.attempt.state == Attempt.State.IN_PROGRESS:
        raise services.InvalidAnswer(_("Only questions of your finished attempts can be added."))
    if not row.question_id or row.snapshot["type"] not in AUTO_MARKED:
        raise services.InvalidAnswer(_("This question cannot be practised again."))
    item, created = NotebookItem.objects.get_or_create(
        cadre=cadre,
        question_id=row.question_id,
        defaults={"added_by_hand": True, "due_on": timezone.localdate()},
    )
    if not created and item.mastered_at is not None:
        item.mastered_at, item.streak, item.box = None, 0, 1
        item.due_on = timezone.localdate()
        item.save(update_fields=["mastered_at", "streak", "box", "due_on"])
    return item


def notebook_remove(*, cadre: User, item_id: int) -> None:
    """Removes an item from the cadre's own notebook; anyone else's is left alone."""
    NotebookItem.objects.filter(cadre=cadre, pk=item_id).delete()


# --- the real exam passed ------------------------------------------------------------------------


def claim_submit(
    *, cadre: User, qualification: str, exam_year: int, certificate_number: str, scan
) -> QualificationClaim:
    """Records a claim with its scan (checked and cleaned: lms.uploads); one pending at a time."""
    if QualificationClaim.objects.filter(
        cadre=cadre, status=QualificationClaim.Status.PENDING
    ).exists():
        raise ValidationError(_("You already have a claim awaiting verification."))
    try:
        clean = clean_upload(scan)
    except ValidationError as error:
        raise ValidationError({"scan": error.messages}) from None
    return QualificationClaim.objects.create(
        cadre=cadre,
        qualification=qualification,
        exam_year=exam_year,
        certificate_number=certificate_number,
        scan=clean.content,
        scan_type=clean.content_type,
    )


@transaction.atomic
def claim_review(
    *, claim: QualificationClaim, verified: bool, reason: str, by: User
) -> QualificationClaim:
    """A secretary verifies (the profile's qualification changes) or rejects with a reason;
    a claim already reviewed is left as it is."""
    claim = QualificationClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != QualificationClaim.Status.PENDING:
        return claim
    if not verified and not reason.strip():
        raise ValidationError(_("Give the reason for rejecting the claim."))
    claim.status = (
        QualificationClaim.Status.VERIFIED if verified else QualificationClaim.Status.REJECTED
    )
    claim.reason, claim.reviewed_by, claim.reviewed_at = reason.strip(), by, timezone.now()
    claim.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
    if verified:
        CadreProfile.objects.filter(user_id=claim.cadre_id).update(
            qualification=claim.qualification
        )
    title = (
        _("Your qualification %(name)s has been verified")
        if verified
        else _("Your qualification claim %(name)s was not accepted")
    ) % {"name": claim.get_qualification_display()}
    notification_send(user=claim.cadre, title=title, body=claim.reason, url=reverse("exam_claims"))
    return claim
