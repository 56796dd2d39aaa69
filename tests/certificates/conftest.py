"""Certificate fixtures: the course fixtures, a PDF reader, and completed enrollments."""

import subprocess
from types import SimpleNamespace

import pytest

from courses import services as course_services

from ..courses.conftest import catalogue, course, offline_course  # noqa: F401  (fixtures)


def compact(text: str) -> str:
    """Text without white space or hyphens: lines wrap, letter-spaced titles split, and
    pdftotext joins a word hyphenated at a line's end."""
    return "".join(text.split()).replace("-", "")


def read_qr_codes(path, tmp_path) -> list[str]:
    """What the QR codes on the PDF's first page say, as a phone camera would read them."""
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    image = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True)
    return found.stdout.split()


def read_pdf(path) -> SimpleNamespace:
    """The text, fonts and page size of a PDF, as poppler sees them."""

    def run(*command):
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    info = run("pdfinfo", str(path))
    text = run("pdftotext", str(path), "-")
    return SimpleNamespace(
        text=text,
        compact=compact(text),
        fonts=run("pdffonts", str(path)).splitlines()[2:],
        pages=int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1]),
        page_size=next(line for line in info.splitlines() if line.startswith("Page size:")),
    )


@pytest.fixture
def complete(django_capture_on_commit_callbacks):
    """Completes a course for a cadre (as a secretary would) and runs the on-commit work."""

    def do_complete(cadre, course_page, by=None):
        enrollment = course_services.enrollment_create(cadre=cadre, course=course_page)
        with django_capture_on_commit_callbacks(execute=True):
            course_services.course_complete(enrollment=enrollment, by=by)
        return enrollment

    return do_complete
