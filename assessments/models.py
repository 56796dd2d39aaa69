"""Question banks, quizzes and attempts: what is asked, how it is put together, what was answered.

An attempt keeps a snapshot of every question as it was asked, so editing or deleting a
question never changes a finished attempt.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase
from treebeard.mp_tree import MP_Node
from wagtail.admin.panels import FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from lms.models import CadreProfile

from . import formats


def answer_lines(text: str) -> list[str]:
    """Accepted answers of a fill-in-the-blank question: one per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionBank(models.Model):
    """A lecturer's collection of questions; its owner and the editors granted may change it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_question_banks",
        verbose_name=_("owner"),
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="edited_question_banks",
        verbose_name=_("editors"),
        help_text=_("Lecturers who may change this bank besides its owner."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = ["name", "description", "owner", "editors"]

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        ordering = ["name"]

    def __str__(self):
        return self.name


class QuestionCategory(MP_Node):
    """Subject → chapter → knowledge point, a tree per bank."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)

    node_order_by = ["name"]
    panels = ["bank", "name"]

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """The full path, e.g. 综合能力 / 第一章 / 专业伦理."""
        names = [c.name for c in self.get_ancestors()] + [self.name]
        return " / ".join(names)


class QuestionTag(TaggedItemBase):
    content_object = ParentalKey("Question", on_delete=models.CASCADE, related_name="tagged_items")


class Question(ClusterableModel):
    """One question of a bank. A case question's sub-questions are questions with a parent."""

    class Type(models.TextChoices):
        SINGLE = formats.SINGLE, _("Single choice")
        MULTIPLE = formats.MULTIPLE, _("Multiple choice")
        TRUE_FALSE = formats.TRUE_FALSE, _("True or false")
        FILL_BLANK = formats.FILL_BLANK, _("Fill in the blank")
        ESSAY = formats.ESSAY, _("Short answer / essay")
        CASE = formats.CASE, _("Case analysis")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("Easy")
        MEDIUM = 2, _("Medium")
        HARD = 3, _("Hard")

    bank = models.ForeignKey(
        QuestionBank, on_delete=models.CASCADE, related_name="questions", verbose_name=_("bank")
    )
    category = models.ForeignKey(
        QuestionCategory,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("category"),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="parts",
        verbose_name=_("case"),
        help_text=_("For a sub-question of a case analysis: the case it belongs to."),
    )
    position = models.PositiveSmallIntegerField(_("position in the case"), default=0)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    name = models.CharField(_("short name"), max_length=200, blank=True)
    stem = models.TextField(_("question"))
    accepted_answers = models.TextField(
        _("accepted answers"),
        blank=True,
        help_text=_("Fill in the blank: every accepted answer, one per line."),
    )
    explanation = models.TextField(_("explanation"), blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    points = models.DecimalField(
        _("points"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    source = models.CharField(_("source"), max_length=100, blank=True, help_text="2024 真题")
    tags = ClusterTaggableManager(through=QuestionTag, blank=True, verbose_name=_("tags"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldRowPanel(["bank", "category"]),
        FieldRowPanel(["type", "difficulty", "points"]),
        "stem",
        InlinePanel("options", heading=_("Options"), label=_("Option")),
        "accepted_answers",
        "explanation",
        FieldRowPanel(["source", "name"]),
        "tags",
        MultiFieldPanel(["parent", "position"], heading=_("Case analysis"), classname="collapsed"),
    ]

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["pk"]
        indexes = [models.Index(fields=["category", "difficulty", "type"])]

    def __str__(self):
        return self.name or self.stem[:40]

    @property
    def answers(self) -> list[str]:
        return answer_lines(self.accepted_answers)

    @property
    def is_choice(self) -> bool:
        return self.type in (self.Type.SINGLE, self.Type.MULTIPLE, self.Type.TRUE_FALSE)


class Option(models.Model):
    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.TextField(_("text"))
    correct = models.BooleanField(_("correct"), default=False)
    feedback = models.CharField(_("feedback"), max_length=500, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0, editable=False)

    panels = [FieldRowPanel(["text", "correct"]), "feedback"]

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return self.text[:40]


# What a review may show, each settable for three moments: while answering, once the attempt
# is finished, and after the quiz has closed (fields `<moment>_<facet>` on Quiz).
REVIEW_FACETS = ("correctness", "marks", "right_answer", "explanation")


def _review_panel(moment: str, heading) -> MultiFieldPanel:
    return MultiFieldPanel(
        [FieldRowPanel([f"{moment}_{facet}" for facet in REVIEW_FACETS])], heading=heading
    )


class Quiz(ClusterableModel):
    """A quiz: which questions, when, how long, how often, how graded and what the review shows."""

    class Grading(models.TextChoices):
        HIGHEST = "highest", _("Highest grade")
        LAST = "last", _("Last attempt")
        FIRST = "first", _("First attempt")
        AVERAGE = "average", _("Average of attempts")

    class MultipleScoring(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        EXAM = "exam", _("Exam rule: a wrong option scores 0, an incomplete answer part marks")

    class Mode(models.TextChoices):
        QUIZ = "quiz", _("Quiz")
        MOCK = "mock", _("Mock exam")
        DRILL = "drill", _("Chapter drill")
        DAILY = "daily", _("Daily practice")
        REVIEW = "review", _("Review of the notebook")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("instructions"), blank=True)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.QUIZ, editable=False)
    exam_subject = models.ForeignKey(
        "ExamSubject",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quizzes",
        editable=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_quizzes",
        verbose_name=_("owner"),
    )
    lesson = models.ForeignKey(
        "courses.LessonPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quizzes",
        verbose_name=_("lesson"),
        help_text=_("Passing the quiz completes this lesson. Leave empty for a stand-alone quiz."),
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), null=True, blank=True, help_text=_("Empty: no time limit.")
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=0, help_text=_("0: unlimited.")
    )
    grading = models.CharField(
        _("grading method"), max_length=8, choices=Grading.choices, default=Grading.HIGHEST
    )
    pass_percent = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    multiple_scoring = models.CharField(
        _("multiple-choice scoring"),
        max_length=8,
        choices=MultipleScoring.choices,
        default=MultipleScoring.ALL_OR_NOTHING,
    )
    partial_points_per_option = models.DecimalField(
        _("exam rule: points per correct option of an incomplete answer"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.5"),
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    questions_per_page = models.PositiveSmallIntegerField(
        _("questions per page"), default=5, validators=[MinValueValidator(1)]
    )
    during_correctness = models.BooleanField(_("whether correct"), default=False)
    during_marks = models.BooleanField(_("marks"), default=False)
    during_right_answer = models.BooleanField(_("right answer"), default=False)
    during_explanation = models.BooleanField(_("explanation"), default=False)
    after_correctness = models.BooleanField(_("whether correct"), default=True)
    after_marks = models.BooleanField(_("marks"), default=True)
    after_right_answer = models.BooleanField(_("right answer"), default=False)
    after_explanation = models.BooleanField(_("explanation"), default=False)
    closed_correctness = models.BooleanField(_("whether correct"), default=True)
    closed_marks = models.BooleanField(_("marks"), default=True)
    closed_right_answer = models.BooleanField(_("right answer"), default=True)
    closed_explanation = models.BooleanField(_("explanation"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        "title",
        "description",
        FieldRowPanel(["owner", "lesson"]),
        InlinePanel("slots", heading=_("Questions"), label=_("Question or random draw")),
        MultiFieldPanel(
            [
                FieldRowPanel(["opens_at", "closes_at"]),
                FieldRowPanel(["time_limit_minutes", "attempts_allowed", "questions_per_page"]),
                FieldRowPanel(["grading", "pass_percent"]),
                FieldRowPanel(["multiple_scoring", "partial_points_per_option"]),
                FieldRowPanel(["shuffle_questions", "shuffle_options"]),
            ],
            heading=_("Timing and grading"),
        ),
        _review_panel("during", _("Review while answering (practice mode)")),
        _review_panel("after", _("Review once the attempt is finished")),
        _review_panel("closed", _("Review after the quiz has closed")),
    ]

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="quiz_closes_after_it_opens",
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The quiz must close after it opens.")})

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.opens_at is None or self.opens_at <= now) and (
            self.closes_at is None or now < self.closes_at
        )

    def is_closed(self, now=None) -> bool:
        return self.closes_at is not None and (now or timezone.now()) >= self.closes_at


class QuizSlot(models.Model):
    """A fixed question, or a random draw of `count` questions from a category."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="slots")
    question = models.ForeignKey(
        Question,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("question"),
        limit_choices_to={"parent__isnull": True},
    )
    category = models.ForeignKey(
        QuestionCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("random from category"),
        help_text=_("Questions of this category and the categories below it."),
    )
    count = models.PositiveSmallIntegerField(_("how many"), default=1)
    question_type = models.CharField(
        _("of type"), max_length=16, choices=Question.Type.choices, blank=True
    )
    difficulty = models.PositiveSmallIntegerField(
        _("at difficulty"), choices=Question.Difficulty.choices, null=True, blank=True
    )
    points = models.DecimalField(
        _("points each"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: each question's own points."),
    )
    sort_order = models.PositiveSmallIntegerField(default=0, editable=False)

    panels = [
        "question",
        FieldRowPanel(["category", "count", "question_type", "difficulty"]),
        "points",
    ]

    class Meta:
        ordering = ["sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, category__isnull=True)
                | Q(question__isnull=True, category__isnull=False),
                name="slot_fixed_or_random",
            )
        ]

    def __str__(self):
        return str(self.question or self.category)

    def clean(self):
        super().clean()
        if (self.question_id is None) == (self.category_id is None):
            raise ValidationError(
                _("Choose either a question or a category to draw from, not both.")
            )


class Attempt(models.Model):
    """One sitting of a quiz by a cadre; the server alone keeps its clock."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        FINISHED = "finished", _("Awaiting marking")
        GRADED = "graded", _("Graded")

    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quiz_attempts"
    )
    number = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    closed_by_deadline = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    passed = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "cadre"],
                condition=Q(state="in_progress"),
                name="one_attempt_in_progress_per_cadre_and_quiz",
            ),
            models.UniqueConstraint(fields=["quiz", "cadre", "number"], name="attempt_number"),
            models.CheckConstraint(
                condition=Q(state="in_progress") | Q(finished_at__isnull=False),
                name="finished_attempt_has_finish_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self):
        return f"{self.quiz} #{self.number} ({self.cadre})"

    @property
    def percent(self) -> Decimal | None:
        if self.score is None or not self.max_score:
            return None
        return (self.score / self.max_score * 100).quantize(Decimal("0.1"))


class AttemptQuestion(models.Model):
    """A question as it was asked in one attempt, the cadre's answer and its mark.

    `snapshot` holds everything grading and review need (type, stem, options in the order
    shown with their correctness, accepted answers, explanation); the live question may change.
    A case analysis is a row without an answer whose parts are rows pointing to it.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="parts"
    )
    snapshot = models.JSONField()
    points = models.DecimalField(max_digits=5, decimal_places=2)
    response = models.JSONField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("marker's comment"), blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_position")
        ]

    def __str__(self):
        return f"{self.attempt_id}:{self.position}"

    @property
    def type(self) -> str:
        return self.snapshot["type"]


# --- social-work exam preparation ------------------------------------------------------------


class ExamSubject(ClusterableModel):
    """A subject of the social-work qualification exam, as data: its bank, paper, time, scoring.

    Its paper is the list of `sections`; the mock exam is a quiz kept in step with them
    (`services.exam_subject_sync`), so it is timed, saved and scored by the attempt engine.
    """

    class Level(models.TextChoices):
        JUNIOR = "junior", _("Assistant social worker (junior)")
        INTERMEDIATE = "intermediate", _("Social worker (intermediate)")
        SENIOR = "senior", _("Senior social worker")

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    name = models.CharField(_("subject"), max_length=100)
    code = models.SlugField(_("code"), unique=True)
    bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, related_name="exam_subjects", verbose_name=_("bank")
    )
    time_limit_minutes = models.PositiveSmallIntegerField(_("time (minutes)"), default=120)
    pass_percent = models.DecimalField(
        _("pass line (%)"), max_digits=5, decimal_places=2, default=Decimal("60")
    )
    partial_points_per_option = models.DecimalField(
        _("multiple choice: points per right option of an incomplete answer"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.5"),
    )
    mock_credit_hours = models.DecimalField(
        _("credit hours for passing a full mock exam"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("0: mock exams earn no hours. Granted once per subject and year."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels = [
        FieldRowPanel(["level", "name", "code"]),
        FieldRowPanel(["bank", "time_limit_minutes", "pass_percent"]),
        FieldRowPanel(["partial_points_per_option", "mock_credit_hours", "sort_order"]),
        InlinePanel("sections", heading=_("Paper"), label=_("Section"), min_num=1),
    ]

    class Meta:
        verbose_name = _("exam subject")
        verbose_name_plural = _("exam subjects")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return f"{self.name}（{self.get_level_display()}）"

    @property
    def full_marks(self) -> Decimal:
        return sum((s.count * s.points for s in self.sections.all()), Decimal(0))


class PaperSection(models.Model):
    """A part of the paper: so many questions of a type from a category, at so many points."""

    subject = ParentalKey(ExamSubject, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=50, help_text="单项选择题")
    question_type = models.CharField(_("type"), max_length=16, choices=Question.Type.choices)
    category = models.ForeignKey(
        QuestionCategory,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("drawn from"),
        help_text=_("The category (and those below it) the questions are drawn from."),
    )
    count = models.PositiveSmallIntegerField(_("how many"), validators=[MinValueValidator(1)])
    points = models.DecimalField(
        _("points each"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )

    panels = [FieldRowPanel(["position", "title", "question_type"]), "category", "count", "points"]

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title


@register_setting(icon="help")
class ExamPrepSettings(BaseGenericSetting):
    """How practice is drawn and how the spaced review (Leitner boxes) schedules items."""

    review_intervals = models.CharField(
        _("review intervals (days) per box"),
        max_length=50,
        default="1,2,4,7,15",
        help_text=_("Box 1 comes back after the first number of days, box 2 the second, …"),
    )
    mastery_streak = models.PositiveSmallIntegerField(
        _("correct reviews in a row for an item to count as mastered"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    daily_size = models.PositiveSmallIntegerField(
        _("questions in daily practice"), default=10, validators=[MinValueValidator(1)]
    )
    drill_size = models.PositiveSmallIntegerField(
        _("questions in a chapter drill"), default=10, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("exam preparation")

    def clean(self):
        super().clean()
        try:
            self.intervals()
        except ValueError:
            raise ValidationError(
                {"review_intervals": _("Write whole numbers of days separated by commas.")}
            ) from None

    def intervals(self) -> list[int]:
        days = [int(part) for part in self.review_intervals.replace("，", ",").split(",")]
        if not days or min(days) < 1:
            raise ValueError("intervals must be positive")
        return days


class NotebookItem(models.Model):
    """A question in a cadre's wrong-answer notebook (错题本), with its review schedule."""

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notebook_items"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    added_by_hand = models.BooleanField(default=False)
    wrong_count = models.PositiveIntegerField(default=0)
    box = models.PositiveSmallIntegerField(default=1)
    streak = models.PositiveSmallIntegerField(default=0)
    due_on = models.DateField()
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    mastered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "question"], name="notebook_item_once")
        ]
        indexes = [models.Index(fields=["cadre", "mastered_at", "due_on"])]

    def __str__(self):
        return f"{self.cadre_id}:{self.question_id}"


class KnowledgeStat(models.Model):
    """How often a cadre answered questions of a category (knowledge point) and got them right."""

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="knowledge_stats"
    )
    category = models.ForeignKey(QuestionCategory, on_delete=models.CASCADE, related_name="+")
    answered = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cadre", "category"], name="knowledge_stat_once"),
            models.CheckConstraint(
                condition=Q(correct__lte=models.F("answered")), name="knowledge_stat_correct_le"
            ),
        ]

    def __str__(self):
        return f"{self.cadre_id}:{self.category_id} {self.correct}/{self.answered}"


class QualificationClaim(models.Model):
    """A cadre's report of passing the real exam, with the certificate's scan, for a secretary
    to verify; a verified claim sets the qualification on the cadre's profile."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualification_claims"
    )
    qualification = models.CharField(
        _("qualification"),
        max_length=16,
        choices=[c for c in CadreProfile.Qualification.choices if c[0] != "none"],
    )
    exam_year = models.PositiveSmallIntegerField(
        _("exam year"), validators=[MinValueValidator(2008), MaxValueValidator(2100)]
    )
    certificate_number = models.CharField(_("certificate number"), max_length=50, blank=True)
    scan = models.FileField(_("certificate scan"), upload_to="qualifications/%Y/")
    scan_type = models.CharField(max_length=32, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("qualification claim")
        verbose_name_plural = _("qualification claims")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre"], condition=Q(status="pending"), name="one_pending_claim_per_cadre"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="rejected_claim_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.cadre} {self.get_qualification_display()} {self.exam_year}"
