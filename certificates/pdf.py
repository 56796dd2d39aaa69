"""The project's one way to make a PDF: a Django template rendered by WeasyPrint.

Certificates use it today; reports and learning archives reuse it. Rendering never reaches the
network: the URL fetcher accepts only ``data:`` URIs and files under the media, static and
font folders.
"""

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from . import fonts


class PdfError(RuntimeError):
    pass


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # reused across renders: loading fonts is the slow part


def _allowed_roots() -> list[Path]:
    roots = [Path(settings.MEDIA_ROOT), Path(settings.CERTIFICATE_FONT_DIR)]
    roots += [Path(folder) for folder in settings.STATICFILES_DIRS]
    return [root.resolve() for root in roots]


@cache
def _url_fetcher():
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        """Only data: URIs and files under the allowed folders; anything else stops the render
        (a certificate without its seal or typeface must not go out)."""

        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url.removeprefix("file://")).resolve()
                if not any(path.is_relative_to(root) for root in _allowed_roots()):
                    raise PdfError(f"not fetched while rendering a PDF: {url[:100]}")
            elif not url.startswith("data:"):
                raise PdfError(f"not fetched while rendering a PDF: {url[:100]}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)


def static_file_url(name: str) -> str:
    """A ``file://`` URL of a static file, for <img> and url() in PDF templates."""
    found = finders.find(name)
    if found is None:
        raise PdfError(f"static file {name} not found")
    return Path(found).resolve().as_uri()


def render_pdf(template_name: str, context: dict) -> bytes:
    """Renders ``template_name`` with ``context`` (plus ``font_url``, the certificate typeface)
    and returns the PDF bytes."""
    from weasyprint import HTML

    context = {
        **context,
        "font_url": fonts.certificate_font().resolve().as_uri(),
        "font_family": fonts.FAMILY,
        "fallback_family": fonts.SYSTEM_FAMILY,
    }
    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher())
    return document.write_pdf(font_config=_font_config())


def image_file_url(image, spec: str) -> str | None:
    """A ``file://`` URL of a Wagtail image's rendition (kept small for the PDF), or None."""
    if image is None:
        return None
    return Path(image.get_rendition(spec).file.path).resolve().as_uri()
