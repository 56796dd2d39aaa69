"""Media files under /media/ with byte ranges for phones, and the generated demo video."""

import json
import subprocess

import pytest
from django.conf import settings
from django.utils.http import http_date
from wagtailmedia.models import Media

from courses.demo_video import demo_video
from courses.media import RangeNotSatisfiable, parse_byte_range

pytestmark = pytest.mark.django_db

CONTENT = bytes(range(256)) * 40  # 10,240 bytes, every offset recognisable
SIZE = len(CONTENT)
SECRET = "not-for-the-web-4711"


def body(response):
    """The whole body of a (streamed) response, the response closed afterwards."""
    try:
        if response.streaming:
            return b"".join(response.streaming_content)
        return response.content
    finally:
        response.close()


def probe(path):
    """ffprobe's view of a media file: its streams and format."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def media_file():
    """A binary file in MEDIA_ROOT and its URL."""
    folder = settings.MEDIA_ROOT / "media"
    folder.mkdir(parents=True)
    (folder / "lesson.mp4").write_bytes(CONTENT)
    return "/media/media/lesson.mp4"


class TestDemoVideo:
    def test_is_a_small_real_mp4_of_the_length_asked(self):
        """ffprobe finds H.264 video and AAC audio lasting what the Media says, in < 500 KB."""
        media = demo_video(title="演示视频")
        info = probe(media.file.path)
        codecs = {stream["codec_type"]: stream["codec_name"] for stream in info["streams"]}
        video = next(stream for stream in info["streams"] if stream["codec_type"] == "video")
        assert codecs == {"video": "h264", "audio": "aac"}
        assert (video["width"], video["height"]) == (media.width, media.height) == (320, 180)
        assert media.type == "video"
        assert media.duration == 24
        assert float(info["format"]["duration"]) == pytest.approx(24, abs=0.5)
        assert media.file.size < 500_000
        assert media.file.name.startswith("media/") and media.file.name.endswith(".mp4")

    def test_index_comes_first_so_phones_play_at_once(self):
        """The top-level moov box (the index) precedes mdat (the samples): +faststart."""
        media = demo_video(title="Faststart", seconds=3)
        with media.file.open("rb") as handle:
            data = handle.read()
        boxes, offset = [], 0
        while offset < len(data):
            boxes.append(data[offset + 4 : offset + 8])
            offset += int.from_bytes(data[offset : offset + 4], "big")
        assert boxes[0] == b"ftyp"
        assert boxes.index(b"moov") < boxes.index(b"mdat")

    def test_reuses_the_media_with_that_title(self):
        """A second call returns the same Media and makes no new file."""
        first = demo_video(title="Reused", seconds=3)
        second = demo_video(title="Reused", seconds=3)
        assert second.pk == first.pk and second.file.name == first.file.name
        assert Media.objects.filter(title="Reused").count() == 1

    def test_renders_again_when_the_file_is_gone(self):
        """A Media whose file was deleted from storage gets a fresh one."""
        media = demo_video(title="Lost", seconds=3)
        media.file.storage.delete(media.file.name)
        again = demo_video(title="Lost", seconds=3)
        assert again.pk == media.pk
        assert again.file.storage.exists(again.file.name)

    def test_missing_ffmpeg_names_the_debian_package(self, monkeypatch):
        """Without ffmpeg on PATH the error says which package to install."""
        monkeypatch.setenv("PATH", "/nonexistent")
        with pytest.raises(RuntimeError, match="apt-get install ffmpeg"):
            demo_video(title="No ffmpeg")
        assert not Media.objects.filter(title="No ffmpeg").exists()

    def test_phone_can_seek_in_the_served_video(self, client):
        """The video's URL answers a range request with 206 and the file's own bytes."""
        media = demo_video(title="Seek", seconds=3)
        response = client.get(media.url, headers={"Range": "bytes=1000-1999"})
        assert response.status_code == 206
        assert response["Content-Type"] == "video/mp4"
        assert response["Content-Range"] == f"bytes 1000-1999/{media.file.size}"
        with media.file.open("rb") as handle:
            handle.seek(1000)
            assert body(response) == handle.read(1000)


class TestServeMedia:
    def test_whole_file_with_accept_ranges(self, client, media_file):
        """Without Range the file comes whole with 200, its length and Accept-Ranges."""
        response = client.get(media_file)
        assert response.status_code == 200
        assert response["Accept-Ranges"] == "bytes"
        assert response["Content-Length"] == str(SIZE)
        assert response["Content-Type"] == "video/mp4"
        assert "Last-Modified" in response
        assert body(response) == CONTENT

    def test_first_hundred_bytes(self, client, media_file):
        """bytes=0-99 gives 206, Content-Range 0-99/size and exactly those 100 bytes."""
        response = client.get(media_file, headers={"Range": "bytes=0-99"})
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes 0-99/{SIZE}"
        assert response["Content-Length"] == "100"
        assert response["Accept-Ranges"] == "bytes"
        assert body(response) == CONTENT[:100]

    def test_suffix_range(self, client, media_file):
        """bytes=-50 gives the last 50 bytes."""
        response = client.get(media_file, headers={"Range": "bytes=-50"})
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes {SIZE - 50}-{SIZE - 1}/{SIZE}"
        assert body(response) == CONTENT[-50:]

    def test_open_range(self, client, media_file):
        """bytes=100- gives everything from byte 100 on."""
        response = client.get(media_file, headers={"Range": "bytes=100-"})
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes 100-{SIZE - 1}/{SIZE}"
        assert response["Content-Length"] == str(SIZE - 100)
        assert body(response) == CONTENT[100:]

    def test_range_past_the_end_is_cut_to_the_file(self, client, media_file):
        """A last byte beyond the file ends at the file's last byte."""
        response = client.get(media_file, headers={"Range": f"bytes={SIZE - 10}-{SIZE * 2}"})
        assert response.status_code == 206
        assert response["Content-Range"] == f"bytes {SIZE - 10}-{SIZE - 1}/{SIZE}"
        assert body(response) == CONTENT[-10:]

    @pytest.mark.parametrize(
        "header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 9}", "bytes=-0"]
    )
    def test_unsatisfiable_range(self, client, media_file, header):
        """A range wholly past the end gets 416 with Content-Range bytes */size."""
        response = client.get(media_file, headers={"Range": header})
        assert response.status_code == 416
        assert response["Content-Range"] == f"bytes */{SIZE}"
        assert body(response) == b""

    @pytest.mark.parametrize("header", ["bytes=0-9,20-29", "items=0-9", "bytes=9-3", "bytes=x"])
    def test_other_ranges_get_the_whole_file(self, client, media_file, header):
        """Several ranges, other units and malformed values are ignored: 200 with all bytes."""
        response = client.get(media_file, headers={"Range": header})
        assert response.status_code == 200
        assert body(response) == CONTENT

    def test_head(self, client, media_file):
        """HEAD gives the GET headers, ranges included, without a body."""
        whole = client.head(media_file)
        part = client.head(media_file, headers={"Range": "bytes=10-19"})
        assert whole.status_code == 200
        assert whole["Content-Length"] == str(SIZE)
        assert whole["Accept-Ranges"] == "bytes"
        assert whole["Content-Type"] == "video/mp4"
        assert part.status_code == 206
        assert part["Content-Range"] == f"bytes 10-19/{SIZE}"
        assert part["Content-Length"] == "10"
        assert body(whole) == body(part) == b""

    def test_not_modified(self, client, media_file):
        """If-Modified-Since at the file's Last-Modified gets 304."""
        last_modified = client.head(media_file)["Last-Modified"]
        response = client.get(media_file, headers={"If-Modified-Since": last_modified})
        assert response.status_code == 304

    def test_if_range(self, client, media_file):
        """The range is honoured while If-Range matches Last-Modified, else the whole file."""
        last_modified = client.head(media_file)["Last-Modified"]
        same = client.get(media_file, headers={"Range": "bytes=0-9", "If-Range": last_modified})
        stale = client.get(media_file, headers={"Range": "bytes=0-9", "If-Range": http_date(0)})
        etag = client.get(media_file, headers={"Range": "bytes=0-9", "If-Range": '"abc"'})
        assert same.status_code == 206 and body(same) == CONTENT[:10]
        assert stale.status_code == 200 and body(stale) == CONTENT
        assert etag.status_code == 200 and body(etag) == CONTENT

    def test_content_type_follows_the_extension(self, client):
        """Images, PDFs and unknown files get their own types."""
        settings.MEDIA_ROOT.mkdir()
        for name in ("a.jpg", "a.pdf", "a.unknownext"):
            (settings.MEDIA_ROOT / name).write_bytes(b"x")
        assert client.get("/media/a.jpg")["Content-Type"] == "image/jpeg"
        assert client.get("/media/a.pdf")["Content-Type"] == "application/pdf"
        assert client.get("/media/a.unknownext")["Content-Type"] == "application/octet-stream"

    def test_empty_file(self, client):
        """An empty file comes with 200 and no bytes; any range of it is unsatisfiable."""
        settings.MEDIA_ROOT.mkdir()
        (settings.MEDIA_ROOT / "empty.mp4").write_bytes(b"")
        whole = client.get("/media/empty.mp4")
        ranged = client.get("/media/empty.mp4", headers={"Range": "bytes=0-"})
        assert whole.status_code == 200 and body(whole) == b""
        assert ranged.status_code == 416
        assert ranged["Content-Range"] == "bytes */0"

    def test_missing_file(self, client, media_file):
        """A file that does not exist gives 404."""
        assert client.get("/media/media/nothing.mp4").status_code == 404

    def test_directories_are_not_listed(self, client, media_file):
        """A folder under MEDIA_ROOT gives 404, not a listing."""
        assert client.get("/media/media/").status_code == 404
        assert client.get("/media/media").status_code == 404

    def test_only_get_and_head(self, client, media_file):
        """Other methods are refused."""
        assert client.post(media_file).status_code == 405

    @pytest.mark.parametrize(
        "url",
        [
            "/media/../secret.txt",
            "/media/media/../../secret.txt",
            "/media/%2e%2e/secret.txt",
            "/media/..%2fsecret.txt",
            "/media/%2e%2e%2fsecret.txt",
            "/media/media/%2e%2e%2f%2e%2e%2fsecret.txt",
            "/media/..%5csecret.txt",
            "/media/secret.txt%00",
        ],
    )
    def test_path_traversal(self, client, media_file, url):
        """Paths that climb out of MEDIA_ROOT give 404, even to a file that exists there."""
        (settings.MEDIA_ROOT.parent / "secret.txt").write_text(SECRET)
        response = client.get(url)
        assert response.status_code == 404
        assert SECRET.encode() not in body(response)

    def test_absolute_path(self, client, media_file):
        """An absolute file path after /media/ is not served."""
        secret = settings.MEDIA_ROOT.parent / "secret.txt"
        secret.write_text(SECRET)
        assert client.get(f"/media/{secret}").status_code == 404
        assert client.get("/media//etc/passwd").status_code == 404

    def test_project_files_are_out_of_reach(self, client, media_file):
        """The project's own manage.py cannot be fetched through /media/."""
        depth = len(settings.MEDIA_ROOT.parts)
        assert client.get("/media/../manage.py").status_code == 404
        climb = "../" * depth
        assert client.get(f"/media/{climb}{settings.BASE_DIR}/manage.py").status_code == 404
        assert client.get(f"/media/{climb.replace('/', '%2f')}etc/passwd").status_code == 404

    def test_served_without_debug_and_without_login(self, client, media_file, settings):
        """With DEBUG off, an anonymous visitor still gets the file."""
        settings.DEBUG = False
        assert client.get(media_file).status_code == 200


class TestParseByteRange:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("bytes=0-0", (0, 0)),
            ("bytes=0-99", (0, 99)),
            ("BYTES = 5 - 9", (5, 9)),
            ("bytes=-5000", (0, 999)),
            ("bytes=999-", (999, 999)),
            ("bytes=-", None),
            ("bytes=", None),
            ("bytes=1-2,4-5", None),
            ("bytes=٣-٤", None),
        ],
    )
    def test_ranges(self, header, expected):
        """Single ranges of a 1000-byte file parse to inclusive byte positions; others to None."""
        assert parse_byte_range(header, 1000) == expected

    def test_past_the_end(self):
        """A first byte at or after the size is unsatisfiable."""
        with pytest.raises(RangeNotSatisfiable):
            parse_byte_range("bytes=1000-", 1000)
