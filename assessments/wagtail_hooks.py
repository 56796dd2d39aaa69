"""Wagtail admin for question banks and quizzes: the menus, and views scoped by the permission
policies of `assessments.permissions`: list views show only the rows a lecturer works on, and
any other row asked for by URL answers 404.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import HeaderButton
from wagtail.permissions import register_permission_policy

from . import admin_views, marking_admin  # noqa: F401  (marking_admin registers its hooks)
from .forms import BankForm, CategoryForm, ExamSubjectForm, QuestionForm, QuizForm
from .models import ExamSubject, Question, QuestionBank, QuestionCategory, Quiz
from .permissions import (
    BankContentPermissionPolicy,
    BankPermissionPolicy,
    QuizPermissionPolicy,
    editable_banks,
)

register_permission_policy(QuestionBank, BankPermissionPolicy(QuestionBank))
register_permission_policy(QuestionCategory, BankContentPermissionPolicy(QuestionCategory))
register_permission_policy(Question, BankContentPermissionPolicy(Question))
register_permission_policy(Quiz, QuizPermissionPolicy(Quiz))

# --- views that only ever see the user's rows -----------------------------------------------

_ANY_ACTION = ["change", "delete", "view"]


class ScopedIndexView(generic.IndexView):
    """Lists only the rows the user may work on."""

    select_related: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()

    def get_base_queryset(self):
        queryset = self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, _ANY_ACTION
        ).select_related(*self.select_related)
        return queryset.order_by(*self.order_by) if self.order_by else queryset


class ScopedObjectMixin:
    """Any other row answers 404; a visible row without the view's permission answers 403."""

    def get_object(self, *args, **kwargs):
        instance = super().get_object(*args, **kwargs)
        user = self.request.user
        if not self.permission_policy.user_has_any_permission_for_instance(
            user, _ANY_ACTION, instance
        ):
            raise Http404
        needed = getattr(self, "permission_required", None)
        if needed and not self.permission_policy.user_has_permission_for_instance(
            user, needed, instance
        ):
            raise PermissionDenied
        return instance


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    pass


class ScopedCopyView(ScopedObjectMixin, generic.CopyView):
    pass


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedHistoryView(ScopedObjectMixin, generic.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, generic.UsageView):
    pass


class ScopedViewSet(ModelViewSet):
    """A model viewset whose every view is confined to the user's rows."""

    add_to_admin_menu = False
    inspect_view_enabled = False
    copy_view_enabled = False
    search_backend_name = None
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    copy_view_class = ScopedCopyView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView


def _scoped_choice(queryset_for_user):
    """A filter whose choices are computed from the request's user."""

    def choices(request):
        return queryset_for_user(request.user) if request else QuestionBank.objects.none()

    return choices


def _user_categories(user):
    return QuestionCategory.objects.filter(bank__in=editable_banks(user)).order_by("path")


class QuestionFilterSet(WagtailFilterSet):
    bank = django_filters.ModelChoiceFilter(
        label=_("bank"), queryset=_scoped_choice(editable_banks)
    )
    category = django_filters.ModelChoiceFilter(
        label=_("category"),
        queryset=_scoped_choice(_user_categories),
        method="filter_category",
    )

    class Meta:
        model = Question
        fields = ["bank", "category", "type", "difficulty"]

    def filter_category(self, queryset, name, value):
        """The category and every category below it."""
        return queryset.filter(category__path__startswith=value.path)


class CategoryFilterSet(WagtailFilterSet):
    bank = django_filters.ModelChoiceFilter(
        label=_("bank"), queryset=_scoped_choice(editable_banks)
    )

    class Meta:
        model = QuestionCategory
        fields = ["bank"]


class BankIndexView(ScopedIndexView):
    """Bank rows carry import and export links; the header offers the Excel template."""

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for label, name, icon, priority in [
            (_("Import questions"), "import", "upload", 40),
            (_("Export as GIFT"), "export_gift", "download", 50),
            (_("Export as Excel"), "export_xlsx", "download", 60),
        ]:
            buttons.append(
                MenuItem(
                    label,
                    url=reverse(f"assessments_admin:{name}", args=[instance.pk]),
                    icon_name=icon,
                    priority=priority,
                )
            )
        return buttons

    @property
    def header_buttons(self):
        return [
            *super().header_buttons,
            HeaderButton(
                _("Download the Excel template"),
                url=reverse("assessments_admin:template"),
                icon_name="download",
            ),
        ]


class QuizIndexView(ScopedIndexView):
    """Lecturers' quizzes (exam practice is kept through its subject); each row links to its
    statistics and to what the cadres see."""

    def get_base_queryset(self):
        return super().get_base_queryset().filter(mode=Quiz.Mode.QUIZ)

    def get_list_more_buttons(self, instance):
        return [
            *super().get_list_more_buttons(instance),
            MenuItem(
                _("Statistics of this quiz"),
                url=reverse("assessments_marking:statistics", args=[instance.pk]),
                icon_name="table",
                priority=40,
            ),
            MenuItem(
                _("Open as a cadre sees it"),
                url=reverse("quiz_detail", args=[instance.pk]),
                icon_name="view",
                priority=50,
            ),
        ]


class BankViewSet(ScopedViewSet):
    name = "assessments_banks"
    url_prefix = "assessments/banks"
    model = QuestionBank
    icon = "folder-open-inverse"
    menu_label = _("Question banks")
    index_view_class = BankIndexView
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "description"]
    edit_handler = ObjectList(QuestionBank.panels, base_form_class=BankForm)


class CategoryViewSet(ScopedViewSet):
    name = "assessments_categories"
    url_prefix = "assessments/categories"
    model = QuestionCategory
    icon = "list-ul"
    menu_label = _("Question categories")
    list_display = [
        Column("name", label=_("name"), accessor=lambda node: "— " * (node.depth - 1) + node.name),
        "bank",
    ]
    filterset_class = CategoryFilterSet
    search_fields = ["name"]
    edit_handler = ObjectList(["bank", FieldPanel("parent"), "name"], base_form_class=CategoryForm)

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            select_related=("bank",), order_by=("bank__name", "path"), **kwargs
        )


class QuestionViewSet(ScopedViewSet):
    name = "assessments_questions"
    url_prefix = "assessments/questions"
    model = Question
    icon = "help"
    menu_label = _("Questions")
    list_display = ["__str__", "type", "difficulty", "bank", "category"]
    filterset_class = QuestionFilterSet
    search_fields = ["stem", "name"]
    edit_handler = ObjectList(Question.panels, base_form_class=QuestionForm)

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(select_related=("bank", "category"), **kwargs)


class QuizViewSet(ScopedViewSet):
    name = "assessments_quizzes"
    url_prefix = "assessments/quizzes"
    model = Quiz
    icon = "tasks"
    menu_label = _("Quizzes")
    index_view_class = QuizIndexView
    list_display = ["title", "owner", "lesson", "created_at"]
    search_fields = ["title"]
    edit_handler = ObjectList(Quiz.panels, base_form_class=QuizForm)

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(select_related=("owner", "lesson"), **kwargs)


class ExamSubjectViewSet(ModelViewSet):
    """Exam subjects and their papers: data a platform admin keeps up to date."""

    name = "assessments_exam_subjects"
    url_prefix = "assessments/exam-subjects"
    model = ExamSubject
    icon = "doc-full"
    menu_label = _("Exam subjects")
    list_display = ["name", "level", "bank", "time_limit_minutes"]
    edit_handler = ObjectList(ExamSubject.panels, base_form_class=ExamSubjectForm)


class AssessmentsGroup(ModelViewSetGroup):
    menu_label = _("Question banks and quizzes")
    menu_icon = "help"
    menu_order = 250
    items = (BankViewSet, CategoryViewSet, QuestionViewSet, QuizViewSet, ExamSubjectViewSet)


@hooks.register("register_admin_viewset")
def register_assessments_viewsets():
    return AssessmentsGroup()


@hooks.register("register_admin_urls")
def register_import_export_urls():
    return [path("assessments/", include((admin_views.urlpatterns, "assessments_admin")))]
