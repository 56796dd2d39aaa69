"""Question import and export: files to bank rows in one transaction, bank rows back to records."""

import importlib
import logging
import os
from collections import Counter
from pathlib import PurePath

from django.db import transaction
from django.utils.translation import gettext as _
from taggit.models import Tag

from . import formats
from .formats import FormatError, OptionData, Problem, QuestionData
from .formats.checks import validate
from .models import Option, Question, QuestionBank, QuestionCategory, QuestionTag

logger = logging.getLogger(__name__)

FORMATS = ("gift", "aiken", "moodlexml", "xlsx")
WRITABLE_FORMATS = ("gift", "xlsx")
# `.txt` is GIFT unless Aiken is chosen explicitly; Aiken has no extension of its own.
EXTENSION_FORMATS = {
    ".gift": "gift",
    ".txt": "gift",
    ".aiken": "aiken",
    ".xml": "moodlexml",
    ".xlsx": "xlsx",
}
CONTENT_TYPES = {
    "gift": "text/plain; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_EXTENSIONS = {"gift": ".gift", "aiken": ".txt", "moodlexml": ".xml", "xlsx": ".xlsx"}
PREVIEW_SIZE = 50
_DEFAULT_POINTS = Question._meta.get_field("points").default


def _refuse(message: str) -> FormatError:
    return FormatError([Problem(0, message)])


def _too_large() -> FormatError:
    return _refuse(
        _("The file is larger than %(limit)s MB; split it into smaller files.")
        % {"limit": formats.MAX_IMPORT_BYTES // (1024 * 1024)}
    )


def format_for(filename: str, chosen: str = "") -> str:
    """The format to read `filename` with: the one chosen, else the one its extension names."""
    if chosen:
        if chosen not in FORMATS:
            raise _refuse(_("Unknown file format “%(format)s”.") % {"format": chosen})
        return chosen
    fmt = EXTENSION_FORMATS.get(PurePath(filename or "").suffix.lower())
    if fmt is None:
        raise _refuse(
            _(
                "Cannot tell the format from the file name; "
                "choose it (GIFT, Aiken, Moodle XML or Excel)."
            )
        )
    return fmt


def upload_read(upload) -> bytes:
    """The bytes of an uploaded file, refused by its size before it is read whole."""
    limit = formats.MAX_IMPORT_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large()
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    return data


def path_read(path: str) -> bytes:
    """The bytes of the file at `path`, refused by its size before it is read."""
    if os.path.getsize(path) > formats.MAX_IMPORT_BYTES:
        raise _too_large()
    with open(path, "rb") as file:
        return file.read(formats.MAX_IMPORT_BYTES + 1)


def parse(data: bytes, fmt: str) -> list[QuestionData]:
    """Parse `data` in format `fmt` into records, or raise FormatError naming every problem."""
    if fmt not in FORMATS:
        raise _refuse(_("Unknown file format “%(format)s”.") % {"format": fmt})
    if len(data) > formats.MAX_IMPORT_BYTES:
        raise _too_large()
    module = importlib.import_module(f"{formats.__name__}.{fmt}")
    try:
        return module.parse(data)
    except FormatError:
        raise
    except Exception as error:  # a parser tripping over junk must not become a server error
        logger.warning("Unreadable %s question file", fmt, exc_info=True)
        raise _refuse(
            _("The file could not be read as %(format)s.") % {"format": fmt_label(fmt)}
        ) from error


def fmt_label(fmt: str) -> str:
    """The name of a format as people know it."""
    return {"gift": "GIFT", "aiken": "Aiken", "moodlexml": "Moodle XML", "xlsx": "Excel"}[fmt]


def write(records: list[QuestionData], fmt: str) -> bytes:
    """Write records as a GIFT or Excel file."""
    if fmt not in WRITABLE_FORMATS:
        raise ValueError(fmt)
    return importlib.import_module(f"{formats.__name__}.{fmt}").write(records)


def template() -> bytes:
    """The Excel template lecturers fill in."""
    return importlib.import_module(f"{formats.__name__}.xlsx").template()


def records_problems(records: list[QuestionData]) -> list[Problem]:
    """Every broken invariant of the records and their parts, by line."""
    return [
        Problem(each.line, message)
        for record in records
        for each in (record, *record.parts)
        for message in validate(each)
    ]


def records_summary(records: list[QuestionData]) -> dict:
    """What an import would create: counts per type and per category, and the first questions."""
    labels = dict(Question.Type.choices)
    by_type = Counter(record.type for record in records)
    by_category = Counter(" / ".join(record.category) for record in records)
    return {
        "total": len(records),
        "parts": sum(len(record.parts) for record in records),
        "by_type": [(labels.get(kind, kind), count) for kind, count in sorted(by_type.items())],
        "by_category": sorted(by_category.items()),
        "categories": len([path for path in by_category if path]),
        "first": [_preview_row(record, labels) for record in records[:PREVIEW_SIZE]],
    }


def _preview_row(record: QuestionData, labels: dict) -> dict:
    stem = " ".join(record.stem.split())
    correct = [option.text for option in record.options if option.correct] or record.answers
    return {
        "line": record.line,
        "type": labels.get(record.type, record.type),
        "category": " / ".join(record.category),
        "stem": stem if len(stem) <= 80 else stem[:79] + "…",
        "options": len(record.options),
        "correct": correct,
        "parts": len(record.parts),
    }


# --- import ---------------------------------------------------------------------------------


@transaction.atomic
def questions_import(*, bank: QuestionBank, records: list[QuestionData], by) -> int:
    """Create the records' categories, questions, options, parts and tags in `bank`; all or nothing.

    Returns the number of questions created (case sub-questions not counted). Raises
    FormatError, creating nothing, when a record breaks an invariant.
    """
    problems = records_problems(records)
    if problems:
        raise FormatError(problems)
    categories = _categories_ensure(bank, {tuple(r.category) for r in records if r.category})
    questions = Question.objects.bulk_create(
        [_question(bank, record, categories.get(tuple(record.category)), by) for record in records]
    )
    pairs = list(zip(questions, records, strict=True))
    parts = Question.objects.bulk_create(
        [
            _question(bank, part, question.category_id, by, parent=question, position=number)
            for question, record in pairs
            for number, part in enumerate(record.parts, start=1)
        ]
    )
    pairs += zip(parts, [part for record in records for part in record.parts], strict=True)
    Option.objects.bulk_create(
        [
            Option(
                question=question,
                text=option.text,
                correct=option.correct,
                feedback=option.feedback,
                sort_order=number,
            )
            for question, record in pairs
            for number, option in enumerate(record.options)
        ]
    )
    _tags_attach(pairs)
    return len(questions)


def _question(bank, record: QuestionData, category_id, by, parent=None, position=0) -> Question:
    return Question(
        bank=bank,
        category_id=category_id,
        parent=parent,
        position=position,
        type=record.type,
        name=record.name[:200],
        stem=record.stem,
        accepted_answers="\n".join(answer.strip() for answer in record.answers if answer.strip()),
        explanation=record.explanation,
        difficulty=record.difficulty or Question.Difficulty.MEDIUM,
        points=record.points if record.points is not None else _DEFAULT_POINTS,
        source=record.source[:100],
        created_by=by,
    )


def _category_paths(bank: QuestionBank) -> dict[tuple[str, ...], QuestionCategory]:
    """The bank's categories by their path of names, from one query."""
    nodes = sorted(QuestionCategory.objects.filter(bank=bank), key=lambda node: node.path)
    by_tree_path: dict[str, tuple[str, ...]] = {}
    result = {}
    for node in nodes:
        names = (*by_tree_path.get(node.path[: -node.steplen], ()), node.name)
        by_tree_path[node.path] = names
        result[names] = node
    return result


def _categories_ensure(bank: QuestionBank, paths: set[tuple[str, ...]]) -> dict[tuple, int]:
    """Ids of the category at each path, creating the missing nodes (existing ones reused)."""
    existing = _category_paths(bank)
    wanted = {path[:depth] for path in paths for depth in range(1, len(path) + 1)}
    for path in sorted(wanted - existing.keys(), key=len):
        if len(path) == 1:
            node = QuestionCategory.add_root(bank=bank, name=path[-1])
        else:
            # Sorted insertion may renumber siblings' tree paths: read the parent afresh.
            parent = QuestionCategory.objects.get(pk=existing[path[:-1]].pk)
            node = parent.add_child(bank=bank, name=path[-1])
        existing[path] = node
    return {path: node.pk for path, node in existing.items()}


def _tags_attach(pairs: list[tuple[Question, QuestionData]]) -> None:
    names = {name.strip()[:100] for _q, record in pairs for name in record.tags if name.strip()}
    if not names:
        return
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    for name in sorted(names - tags.keys()):
        tags[name] = Tag.objects.create(name=name)
    QuestionTag.objects.bulk_create(
        [
            QuestionTag(content_object=question, tag=tags[name])
            for question, record in pairs
            for name in dict.fromkeys(n.strip()[:100] for n in record.tags if n.strip())
        ]
    )


# --- export ---------------------------------------------------------------------------------


def bank_records(bank: QuestionBank) -> list[QuestionData]:
    """Every question of `bank` as records, in a fixed number of queries whatever its size."""
    paths = {node.pk: list(path) for path, node in _category_paths(bank).items()}
    questions = (
        Question.objects.filter(bank=bank, parent__isnull=True)
        .order_by("pk")
        .prefetch_related("options", "tags", "parts__options", "parts__tags")
    )
    return [
        _record(
            question,
            paths.get(question.category_id, []),
            parts=[_record(part, []) for part in sorted(question.parts.all(), key=_part_order)],
        )
        for question in questions
    ]


def _part_order(part: Question) -> tuple[int, int]:
    return part.position, part.pk


def _record(question: Question, category: list[str], parts=()) -> QuestionData:
    return QuestionData(
        type=question.type,
        stem=question.stem,
        name=question.name,
        options=[
            OptionData(text=option.text, correct=option.correct, feedback=option.feedback)
            for option in question.options.all()
        ],
        answers=question.answers,
        category=category,
        explanation=question.explanation,
        difficulty=question.difficulty,
        tags=sorted(tag.name for tag in question.tags.all()),
        source=question.source,
        points=question.points,
        parts=list(parts),
    )
