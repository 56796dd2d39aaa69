"""Shared text handling for importers: size limit, decoding, HTML to text, category paths."""

import codecs
import html
import re

from django.utils.translation import gettext as _

from . import MAX_IMPORT_BYTES, FormatError, Problem

# Control characters never found in a text file (tab, newline, CR and form feed are fine).
_BINARY_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BLOCK_TAG_RE = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_SPACES_RE = re.compile(r"[ \t\f\v]+")
_MOODLE_ROOT_RE = re.compile(r"^\$(?:course|system|module|coursecategory|cat\d*)\$/?(?:top/?)?")


def refuse(message: str) -> FormatError:
    """Build the error for a problem that concerns the whole file."""
    return FormatError([Problem(0, message)])


def check_size(data: bytes) -> None:
    """Refuse empty data and data larger than MAX_IMPORT_BYTES."""
    if len(data) > MAX_IMPORT_BYTES:
        raise refuse(
            _("The file is larger than %(limit)s MB; split it into smaller files.")
            % {"limit": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise refuse(_("The file is empty."))


def decode(data: bytes) -> str:
    """Decode a text file (UTF-8 with or without BOM, else GB18030) with newlines as \\n."""
    check_size(data)
    not_text = _(
        "The file is not plain text (it may be a Word or Excel file, or saved as UTF-16); "
        "save it as UTF-8 text and try again."
    )
    if b"\x00" in data:
        raise refuse(not_text)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BINARY_RE.search(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise refuse(not_text)


def html_to_text(markup: str) -> str:
    """Strip tags, keeping a line break for each <br> and end of paragraph; unescape entities."""
    markup = _BLOCK_TAG_RE.sub("\n", markup)
    text = html.unescape(_TAG_RE.sub("", markup)).replace("\xa0", " ")
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def category_path(text: str, separator: str = "/") -> list[str]:
    """Split a category path, dropping Moodle's `$course$/top/` root and empty segments."""
    text = _MOODLE_ROOT_RE.sub("", text.strip())
    return [part.strip() for part in re.split(separator, text) if part.strip()]
