"""Wagtail admin pages for lecturers: the hand-marking queue, marking an answer, quiz statistics.

A lecturer sees the answers and statistics of the quizzes they own; a superuser sees all.
Anything else answers 404, so other lecturers' quizzes are not revealed.
"""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem

from . import marking, services
from .models import Attempt
from .statistics import quiz_statistics

QUEUE_PAGE_SIZE = 25


class MarkForm(forms.Form):
    """The mark of one answer: a number of points from 0 to the answer's points, and a comment."""

    comment = forms.CharField(
        label=gettext_lazy("Comment for the cadre"), required=False, widget=forms.Textarea
    )
    field_order = ["score", "comment"]

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"] = forms.DecimalField(
            label=_("Mark"),
            min_value=0,
            max_value=points,
            max_digits=5,
            decimal_places=2,
            help_text=_("From 0 to %(points)s points.") % {"points": f"{points.normalize():f}"},
        )
        self.order_fields(self.field_order)


def _quiz_filter(request) -> int | None:
    try:
        return int(request.GET.get("quiz", ""))
    except ValueError:
        return None


def _queue_url(quiz_id: int | None) -> str:
    url = reverse("assessments_marking:queue")
    return f"{url}?quiz={quiz_id}" if quiz_id else url


def _answer_url(answer_id: int, quiz_id: int | None) -> str:
    url = reverse("assessments_marking:answer", args=[answer_id])
    return f"{url}?quiz={quiz_id}" if quiz_id else url


def _admin_context(title: str, *crumbs: tuple[str, str]) -> dict:
    home = {"url": reverse("wagtailadmin_home"), "label": _("Home")}
    items = [home] + [{"url": url, "label": label} for url, label in crumbs]
    items.append({"label": title})
    return {"header_title": title, "page_title": title, "breadcrumbs_items": items}


def queue(request):
    """Answers awaiting a mark in the user's quizzes, oldest first; one quiz when filtered."""
    quiz_id = _quiz_filter(request)
    quizzes = list(marking.quizzes_with_awaiting_counts(user=request.user))
    selected = next((quiz for quiz in quizzes if quiz.pk == quiz_id), None)
    answers = marking.answers_awaiting_mark(
        user=request.user, quiz_id=selected.pk if selected else None
    )
    page = Paginator(answers, QUEUE_PAGE_SIZE).get_page(request.GET.get("p"))
    context = _admin_context(_("Awaiting marking"))
    context.update(quizzes=quizzes, selected=selected, page=page, header_icon="doc-full")
    return TemplateResponse(request, "assessments/marking/queue.html", context)


def mark(request, pk: int):
    """Shows one answer with its question and model answer; saving marks it, then the next."""
    answer = marking.answer_for_marking(user=request.user, pk=pk)
    quiz_id = _quiz_filter(request)
    in_progress = answer.attempt.state == Attempt.State.IN_PROGRESS
    form = MarkForm(
        request.POST or None,
        points=answer.points,
        initial={"score": answer.score, "comment": answer.comment},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_mark(
                row=answer,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                marked_by=request.user,
            )
        except services.AttemptError as error:
            form.add_error(None, str(error))
            status = error.status
        else:
            messages.success(request, _("The mark has been saved."))
            following = marking.answers_awaiting_mark(user=request.user, quiz_id=quiz_id).first()
            if following is None:
                return redirect(_queue_url(quiz_id))
            return redirect(_answer_url(following.pk, quiz_id))
    context = _admin_context(_("Mark an answer"), (_queue_url(quiz_id), _("Awaiting marking")))
    context.update(
        answer=answer,
        snapshot=answer.snapshot,
        case=answer.parent.snapshot if answer.parent else None,
        attempt=answer.attempt,
        in_progress=in_progress,
        form=form,
        queue_url=_queue_url(quiz_id),
        header_icon="doc-full",
    )
    return TemplateResponse(request, "assessments/marking/mark.html", context, status=status)


HISTOGRAM_HEIGHT = 100  # px of the tallest bar in the score distribution's SVG
HISTOGRAM_BAR = 30


def statistics(request, pk: int):
    """Scores, their distribution and per-question indices of one of the user's quizzes."""
    quiz = get_object_or_404(marking.quizzes_marked_by(user=request.user), pk=pk)
    figures = quiz_statistics(quiz=quiz)
    tallest = max((band.count for band in figures.distribution), default=0) or 1
    heights = [round(band.count / tallest * HISTOGRAM_HEIGHT) for band in figures.distribution]
    bars = [
        {"bin": band, "x": i * HISTOGRAM_BAR, "height": height, "y": HISTOGRAM_HEIGHT - height}
        for i, (band, height) in enumerate(zip(figures.distribution, heights, strict=True))
    ]
    context = _admin_context(
        _("Statistics: %(quiz)s") % {"quiz": quiz.title},
        (_queue_url(None), _("Awaiting marking")),
    )
    context.update(
        quiz=quiz,
        figures=figures,
        bars=bars,
        chart_width=HISTOGRAM_BAR * len(bars),
        chart_height=HISTOGRAM_HEIGHT,
        queue_url=_queue_url(quiz.pk),
        header_icon="table",
    )
    return TemplateResponse(request, "assessments/marking/statistics.html", context)


@hooks.register("register_admin_urls")
def register_marking_urls():
    """/cms/marking/: the queue, one answer, a quiz's statistics."""
    urls = [
        path("", queue, name="queue"),
        path("<int:pk>/", mark, name="answer"),
        path("quiz/<int:pk>/statistics/", statistics, name="statistics"),
    ]
    return [
        path("marking/", include((urls, "assessments_marking"), namespace="assessments_marking"))
    ]


class MarkingMenuItem(MenuItem):
    """The menu entry, labelled with how many answers wait for this user's mark."""

    def render_component(self, request):
        """The label carries the count for the user looking at the menu."""
        count = marking.awaiting_mark_count(user=request.user)
        label = str(self.label)
        if count:
            label = _("%(label)s (%(count)s)") % {"label": label, "count": count}
        return LinkMenuItem(self.name, label, self.url, icon_name=self.icon_name, attrs=self.attrs)


@hooks.register("register_admin_menu_item")
def register_marking_menu_item():
    """待批阅 in the admin menu."""
    return MarkingMenuItem(
        gettext_lazy("Awaiting marking"),
        reverse("assessments_marking:queue"),
        name="marking",
        icon_name="doc-full",
        order=250,
    )
