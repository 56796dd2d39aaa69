"""Admin forms for banks, categories, questions and quizzes, and the question-file upload.

Every chooser offers only the banks the user may change and what lies in them; the checks a
question or quiz must pass before it is saved live here.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

from lms.permissions import LECTURERS_GROUP

from . import importing
from .formats import FormatError
from .models import PaperSection, Question, QuestionCategory, QuizSlot
from .permissions import editable_banks, is_superuser
from .prep_services import exam_subject_sync, paper_shortfalls
from .services import quiz_shortfalls

CHOICE_TYPES = (Question.Type.SINGLE, Question.Type.MULTIPLE, Question.Type.TRUE_FALSE)


class CategoryLabels:
    """Labels categories by bank and full path, reading every category of the banks once."""

    def __init__(self, banks):
        self.banks = banks
        self._labels = None

    def __call__(self, category: QuestionCategory) -> str:
        if self._labels is None:
            self._labels = {}
            names: dict[str, str] = {}
            nodes = QuestionCategory.objects.filter(bank__in=self.banks).select_related("bank")
            for node in nodes.order_by("path"):
                parent = names.get(node.path[: -node.steplen])
                names[node.path] = f"{parent} / {node.name}" if parent else node.name
                self._labels[node.pk] = f"{node.bank.name} — {names[node.path]}"
        return self._labels.get(category.pk, category.name)


def _scope_category_field(field, banks, labels: CategoryLabels, exclude_path: str = "") -> None:
    categories = QuestionCategory.objects.filter(bank__in=banks).order_by("path")
    if exclude_path:
        categories = categories.exclude(path__startswith=exclude_path)
    field.queryset = categories
    field.label_from_instance = labels


def _live_forms(formset) -> list[dict] | None:
    """Cleaned data of the formset's forms that are kept, or None when the formset is invalid."""
    if not formset.is_valid():
        return None
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class BankForm(WagtailAdminModelForm):
    """A new bank belongs to whoever creates it; only its owner or a superuser names editors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        bank = self.instance
        people = get_user_model().objects.filter(
            Q(groups__name=LECTURERS_GROUP)
            | Q(is_superuser=True)
            | Q(pk=getattr(user, "pk", None))
            | Q(pk=bank.owner_id)
        )
        self.fields["owner"].queryset = people.distinct()
        self.fields["editors"].queryset = people.distinct()
        if bank.pk is None and user is not None:
            self.initial["owner"] = user.pk
        if not is_superuser(user):
            self.fields["owner"].disabled = True
            if bank.pk is not None and bank.owner_id != getattr(user, "pk", None):
                self.fields["editors"].disabled = True


class CategoryForm(WagtailAdminModelForm):
    """A category is placed under a parent of the same bank, or at the top of the bank."""

    parent = forms.ModelChoiceField(
        queryset=QuestionCategory.objects.none(),
        required=False,
        label=gettext_lazy("parent category"),
        help_text=gettext_lazy("Empty: a top-level category of the bank."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        banks = editable_banks(self.for_user)
        self.fields["bank"].queryset = banks
        node = self.instance
        _scope_category_field(
            self.fields["parent"], banks, CategoryLabels(banks), exclude_path=node.path or ""
        )
        if node.pk is not None:
            self.fields["bank"].disabled = True
            self.initial["parent"] = getattr(node.get_parent(), "pk", None)

    def clean(self):
        cleaned = super().clean()
        parent, bank = cleaned.get("parent"), cleaned.get("bank")
        if parent is not None and bank is not None and parent.bank_id != bank.pk:
            self.add_error("parent", _("The parent category belongs to another bank."))
        return cleaned

    def save(self, commit=True):
        """Insert a new node into the tree, or save an existing one and move it if asked."""
        node, parent = self.instance, self.cleaned_data.get("parent")
        if node.pk is None:
            if parent is None:
                self.instance = QuestionCategory.add_root(instance=node)
            else:
                fresh_parent = QuestionCategory.objects.get(pk=parent.pk)
                self.instance = fresh_parent.add_child(instance=node)
            return self.instance
        node.save()
        if "parent" in self.changed_data:
            if parent is None:
                node.move(QuestionCategory.get_first_root_node(), "sorted-sibling")
            else:
                node.move(QuestionCategory.objects.get(pk=parent.pk), "sorted-child")
            node.refresh_from_db()
        return node


class QuestionForm(WagtailAdminModelForm):
    """A question with options that fit its type, in a category and case of its own bank."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        banks = editable_banks(self.for_user)
        self.fields["bank"].queryset = banks
        _scope_category_field(self.fields["category"], banks, CategoryLabels(banks))
        cases = Question.objects.filter(bank__in=banks, type=Question.Type.CASE)
        if self.instance.pk is not None:
            cases = cases.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = cases

    def clean(self):
        cleaned = super().clean()
        bank, category = cleaned.get("bank"), cleaned.get("category")
        parent, kind = cleaned.get("parent"), cleaned.get("type")
        if bank is not None and category is not None and category.bank_id != bank.pk:
            self.add_error("category", _("The category belongs to another bank."))
        if parent is not None:
            if bank is not None and parent.bank_id != bank.pk:
                self.add_error("parent", _("The case belongs to another bank."))
            if kind == Question.Type.CASE:
                self.add_error("type", _("A sub-question cannot itself be a case question."))
        options = _live_forms(self.formsets["options"])
        if kind and options is not None:
            for message in self._answer_problems(kind, options, cleaned):
                self.add_error(None, message)
        return cleaned

    @staticmethod
    def _answer_problems(kind: str, options: list[dict], cleaned: dict) -> list[str]:
        correct = sum(bool(option.get("correct")) for option in options)
        problems = []
        if kind in CHOICE_TYPES and len(options) < 2:
            problems.append(_("A choice question needs at least two options."))
        if kind in (Question.Type.SINGLE, Question.Type.TRUE_FALSE) and correct != 1:
            problems.append(
                _("This question needs exactly one correct option; it has %(count)s.")
                % {"count": correct}
            )
        if kind == Question.Type.MULTIPLE and correct < 1:
            problems.append(_("A multiple-choice question needs at least one correct option."))
        answers = cleaned.get("accepted_answers") or ""
        if kind == Question.Type.FILL_BLANK and not answers.strip():
            problems.append(_("A fill-in-the-blank question needs at least one accepted answer."))
        if kind in (Question.Type.FILL_BLANK, Question.Type.ESSAY, Question.Type.CASE) and options:
            problems.append(_("This type of question takes no options."))
        return problems


class QuizForm(WagtailAdminModelForm):
    """A quiz of the user's own, drawing from their banks; random draws must be fillable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if self.instance.pk is None and user is not None:
            self.initial["owner"] = user.pk
        if not is_superuser(user):
            self.fields["owner"].queryset = get_user_model().objects.filter(
                pk__in=[getattr(user, "pk", None), self.instance.owner_id]
            )
            self.fields["owner"].disabled = True
            self.fields["lesson"].queryset = _lessons_of(user)
        self._scope_slots(editable_banks(user))

    def _scope_slots(self, banks) -> None:
        formset = self.formsets["slots"]
        labels = CategoryLabels(banks)
        questions = Question.objects.filter(bank__in=banks, parent__isnull=True)

        class ScopedSlotForm(formset.form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["question"].queryset = questions
                _scope_category_field(self.fields["category"], banks, labels)

        formset.form = ScopedSlotForm

    def clean(self):
        cleaned = super().clean()
        slots = _live_forms(self.formsets["slots"])
        if not slots:
            return cleaned
        problems = quiz_shortfalls(
            [
                QuizSlot(
                    question=slot.get("question"),
                    category=slot.get("category"),
                    count=slot.get("count") or 0,
                    question_type=slot.get("question_type") or "",
                    difficulty=slot.get("difficulty"),
                )
                for slot in slots
            ]
        )
        if problems:
            raise ValidationError(problems)
        return cleaned


def _lessons_of(user):
    """Lessons a lecturer may attach a quiz to: theirs, or in courses they own."""
    from courses.models import CoursePage, LessonPage

    course_paths = CoursePage.objects.filter(owner=user).values_list("path", flat=True)
    scope = Q(owner=user)
    for course_path in course_paths:
        scope |= Q(path__startswith=course_path)
    return LessonPage.objects.filter(scope)


FORMAT_CHOICES = [
    ("", gettext_lazy("From the file name (.gift or .txt: GIFT; .xml: Moodle XML; .xlsx: Excel)")),
    ("gift", "GIFT"),
    ("aiken", "Aiken"),
    ("moodlexml", "Moodle XML"),
    ("xlsx", "Excel"),
]


class ImportForm(forms.Form):
    """A question file and its format; once valid, `records` holds what it contains."""

    file = forms.FileField(label=gettext_lazy("File"))
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES, required=False)

    problems = ()
    records = None
    content = b""
    fmt = ""

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        try:
            self.fmt = importing.format_for(upload.name, cleaned.get("format") or "")
            self.content = importing.upload_read(upload)
            self.records = importing.parse(self.content, self.fmt)
        except FormatError as error:
            self.problems = error.problems
            raise ValidationError(
                _("The file cannot be imported: %(count)s problems, listed below.")
                % {"count": len(error.problems)}
            ) from error
        return cleaned


class ExamSubjectForm(WagtailAdminModelForm):
    """An exam subject: its paper must be fillable from the bank, checked when it is saved."""

    def clean(self):
        cleaned = super().clean()
        sections = [
            PaperSection(
                title=section.get("title") or "",
                question_type=section.get("question_type") or "",
                category=section["category"],
                count=section.get("count") or 0,
                points=section.get("points") or 0,
            )
            for section in _live_forms(self.formsets["sections"])
            if section.get("category")
        ]
        bank = cleaned.get("bank")
        if bank is not None and any(s.category.bank_id != bank.pk for s in sections):
            raise ValidationError(_("Every section draws from a category of the subject's bank."))
        problems = paper_shortfalls(sections)
        if problems:
            raise ValidationError(problems)
        return cleaned

    def save(self, commit=True):
        subject = super().save(commit=commit)
        if commit:
            exam_subject_sync(subject=subject)
        return subject
