"""Who may change which question bank, category, question and quiz.

Lecturers hold the Django model permissions on banks, categories, questions and quizzes
(migration 0002), which in Wagtail alone would reach every row. These policies narrow them: a
lecturer works on the banks they own or are an editor of (and those banks' categories and
questions) and on the quizzes they own; only a bank's owner deletes it or changes its editors.
Superusers reach everything. `wagtail_hooks` registers them for the admin.
"""

from django.db.models import Q
from wagtail.permission_policies import ModelPermissionPolicy

from .models import QuestionBank, Quiz


def is_superuser(user) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def editable_bank_ids(user) -> frozenset[int]:
    """Ids of the banks `user` owns or edits (cached on the user object for the request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_editable_bank_ids", None)
    if cached is None:
        cached = user._editable_bank_ids = frozenset(
            QuestionBank.objects.filter(Q(owner=user) | Q(editors=user)).values_list(
                "pk", flat=True
            )
        )
    return cached


def editable_banks(user):
    """The banks `user` may change: all for a superuser, else those they own or edit."""
    if is_superuser(user):
        return QuestionBank.objects.all()
    return QuestionBank.objects.filter(pk__in=editable_bank_ids(user))


class _ScopedPolicy(ModelPermissionPolicy):
    """Model permissions, narrowed to the rows a user is responsible for (superusers: all)."""

    def _scope(self, user) -> Q:
        raise NotImplementedError

    def _in_scope(self, user, instance) -> bool:
        raise NotImplementedError

    def instances_user_has_any_permission_for(self, user, actions):
        instances = self.model._default_manager.all()
        if is_superuser(user):
            return instances
        if not self.user_has_any_permission(user, actions):
            return instances.none()
        return instances.filter(self._scope(user))

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        if is_superuser(user):
            return True
        return self.user_has_permission(user, action) and self._in_scope(user, instance)


class BankPermissionPolicy(_ScopedPolicy):
    """Owner and editors change a bank; only its owner deletes it."""

    def _scope(self, user) -> Q:
        return Q(pk__in=editable_bank_ids(user))

    def _in_scope(self, user, instance) -> bool:
        return instance.pk in editable_bank_ids(user)

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and not is_superuser(user) and instance.owner_id != user.pk:
            return False
        return super().user_has_permission_for_instance(user, action, instance)


class BankContentPermissionPolicy(_ScopedPolicy):
    """Categories and questions follow their bank."""

    def _scope(self, user) -> Q:
        return Q(bank_id__in=editable_bank_ids(user))

    def _in_scope(self, user, instance) -> bool:
        return instance.bank_id in editable_bank_ids(user)


class QuizPermissionPolicy(_ScopedPolicy):
    """A lecturer's quizzes are their own; the exam-practice quizzes (mocks, drills, daily
    practice, reviews) follow their exam subject and are not edited as quizzes."""

    def _scope(self, user) -> Q:
        return Q(owner=user, mode=Quiz.Mode.QUIZ)

    def _in_scope(self, user, instance) -> bool:
        return instance.owner_id == user.pk and instance.mode == Quiz.Mode.QUIZ
