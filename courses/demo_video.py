"""A small real lesson video for demos and tests, made on the spot with ffmpeg.

``demo_video(title=...)`` renders ffmpeg's ``testsrc2`` pattern with a sine tone into an MP4
(H.264 baseline + AAC, 320×180 at 10 fps, about 300 KB for 24 s) that every phone plays, with
the index moved to the front (``+faststart``) so playback starts before the download ends. It
is stored as a wagtailmedia ``Media`` of type video in the default storage, and reused on the
next call with the same title. ffmpeg comes from the Debian package ``ffmpeg``, which the
Makefile installs.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.files import File
from django.utils.text import slugify
from wagtailmedia.models import Media

DEFAULT_SECONDS = 24
WIDTH, HEIGHT = 320, 180
FRAME_RATE = 10


def _ffmpeg() -> str:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise RuntimeError(
            "Making a demo video needs ffmpeg: install the Debian package with "
            "`apt-get install ffmpeg` (`make run` and `make test` do it)."
        )
    return binary


def render_mp4(target: Path, *, seconds: int = DEFAULT_SECONDS) -> None:
    """Writes a ``seconds``-long test-pattern MP4 with a tone to ``target``."""
    command = [
        _ffmpeg(),
        *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
        *("-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FRAME_RATE}"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"),
        *("-t", str(seconds)),
        # Baseline H.264 in yuv420p plays on every phone; a high CRF keeps the file small.
        *("-c:v", "libx264", "-preset", "veryfast", "-crf", "36"),
        *("-profile:v", "baseline", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "32k", "-ac", "1"),
        *("-movflags", "+faststart"),
        str(target),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(
            f"ffmpeg could not make the demo video: {error.stderr.strip()}"
        ) from error


def demo_video(*, title: str, seconds: int = DEFAULT_SECONDS) -> Media:
    """The video Media titled ``title``, rendered and saved first if there is none yet.

    An existing Media is reused as it is (whatever its length), except that its file is
    rendered again when the file has gone from storage, e.g. after MEDIA_ROOT was wiped.
    """
    media = Media.objects.filter(title=title, type="video").order_by("pk").first()
    if media is not None and media.file and media.file.storage.exists(media.file.name):
        return media
    if media is None:
        media = Media(title=title, type="video")

    with tempfile.TemporaryDirectory(prefix="demo-video-") as folder:
        rendered = Path(folder) / "video.mp4"
        render_mp4(rendered, seconds=seconds)
        media.duration = float(seconds)
        media.width, media.height = WIDTH, HEIGHT
        with rendered.open("rb") as handle:
            media.file.save(f"{slugify(title) or 'demo-video'}.mp4", File(handle), save=False)
    media.save()
    return media
