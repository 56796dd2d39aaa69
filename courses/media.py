"""Serves uploaded files under MEDIA_ROOT with HTTP range requests, so phones can seek in videos.

Mobile browsers (Safari above all) fetch a lesson video in byte ranges and refuse to seek, or
even to play, when the server always answers with the whole file. Django 5.2 has no Range
support: neither ``FileResponse`` nor ``django.views.static.serve`` reads the header. The only
PyPI package for it, django-ranged-response, has had no release since 2017, and WhiteNoise only
serves the files it found at start-up, so uploads made later would be missed. Hence this small
view, which handles what players send:

* one byte range — ``bytes=a-b``, ``bytes=a-`` or the suffix ``bytes=-n`` — answered with
  206 Partial Content and ``Content-Range``; a range that starts past the end gets 416 with
  ``Content-Range: bytes */size``;
* anything else in ``Range`` (several ranges, other units, a malformed value) is ignored, as
  RFC 9110 allows, and the whole file is sent with 200;
* ``If-Range`` (a date equal to ``Last-Modified``; we send no ETag) and ``If-Modified-Since``;
* GET and HEAD only; files are streamed block by block, never read whole into memory.

Files are public, like Wagtail's images; only paths inside MEDIA_ROOT are served (``safe_join``),
and directories give 404 rather than a listing. In production the reverse proxy normally serves
/media/ itself, with native range support, and requests never reach this view.
"""

import mimetypes
import os
import re
import stat
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.utils._os import safe_join
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

_BYTE_RANGE = re.compile(r"bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)", re.IGNORECASE)

# As FileResponse does: a compressed file is served as such, never with Content-Encoding,
# so that a browser does not unpack it (and byte ranges keep meaning bytes of the file).
_COMPRESSED_TYPES = {
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip",
    "compress": "application/x-compress",
    "gzip": "application/gzip",
    "xz": "application/x-xz",
}


class RangeNotSatisfiable(Exception):
    """The Range header asks for bytes the file does not have."""


def parse_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte (inclusive) that ``header`` asks for, or None to send all.

    Raises RangeNotSatisfiable when the one range given lies wholly past the end of the file.
    """
    match = _BYTE_RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges, another unit or garbage: the whole file will do
    first, last = match.groups()
    if not first:
        if not last:
            return None  # "bytes=-"
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # "bytes=9-3" is invalid, so ignored
    if start >= size:
        raise RangeNotSatisfiable
    return start, min(int(last), size - 1) if last else size - 1


class _FileWindow:
    """``length`` bytes of an open file from ``start``: FileResponse streams it block by block.

    It has neither ``tell`` nor ``fileno`` on purpose, so neither FileResponse nor a WSGI
    server's sendfile can take it for the whole file.
    """

    def __init__(self, file, start: int, length: int):
        file.seek(start)
        self._file = file
        self._remaining = length

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size) if size else b""
        self._remaining -= len(data)
        return data

    def close(self):
        self._file.close()


# Never served from /media/: uploaded rosters, certificates and their ZIPs hold personal data
# (their own views check who asks), and Wagtail documents are served by /documents/<id>/,
# which enforces their collection's privacy.
PRIVATE_FOLDERS = {
    "rosters",
    "documents",
    "certificates",
    "archives",
    "question_imports",
    "qualifications",
    "exports",  # reports of cadres' hours (lms.Export), for their requester only
    "practice",  # practice photos and training proofs (practice app), cadre and reviewers only
}


def _media_file(path: str) -> tuple[Path, os.stat_result]:
    """The regular file at ``path`` under MEDIA_ROOT and its stat, or Http404."""
    try:
        fullpath = Path(safe_join(settings.MEDIA_ROOT, path))
        status = fullpath.stat()
    except (SuspiciousFileOperation, OSError, ValueError) as error:
        # Outside MEDIA_ROOT, missing, unreadable or with a NUL byte: all look the same.
        raise Http404("No such media file.") from error
    if not stat.S_ISREG(status.st_mode):
        raise Http404("No such media file.")  # directories are never listed
    top = fullpath.relative_to(Path(settings.MEDIA_ROOT).resolve()).parts[0]
    if top in PRIVATE_FOLDERS:
        raise Http404("No such media file.")
    return fullpath, status


def _content_type(fullpath: Path) -> str:
    content_type, encoding = mimetypes.guess_type(fullpath.name)
    return _COMPRESSED_TYPES.get(encoding, content_type) or "application/octet-stream"


@require_safe
def serve_media(request, path: str):
    """One file under MEDIA_ROOT, whole (200) or one byte range of it (206), or 416."""
    fullpath, status = _media_file(path)
    size, mtime = status.st_size, status.st_mtime
    if not was_modified_since(request.headers.get("If-Modified-Since"), mtime):
        return HttpResponseNotModified()

    byte_range = None
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if range_header and (if_range is None or parse_http_date_safe(if_range) == int(mtime)):
        try:
            byte_range = parse_byte_range(range_header, size)
        except RangeNotSatisfiable:
            response = HttpResponse(status=416)
            response.headers["Content-Range"] = f"bytes */{size}"
            response.headers["Accept-Ranges"] = "bytes"
            return response

    content_type = _content_type(fullpath)
    head = request.method == "HEAD"
    if byte_range is None:
        code, length = 200, size
        body = None if head else fullpath.open("rb")
    else:
        start, end = byte_range
        code, length = 206, end - start + 1
        body = None if head else _FileWindow(fullpath.open("rb"), start, length)

    if body is None:
        response = HttpResponse(status=code, content_type=content_type)
        response.headers["Content-Disposition"] = content_disposition_header(False, fullpath.name)
    else:
        response = FileResponse(
            body, status=code, content_type=content_type, filename=fullpath.name
        )
    response.headers["Content-Length"] = str(length)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Last-Modified"] = http_date(mtime)
    if byte_range is not None:
        response.headers["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{size}"
    return response
