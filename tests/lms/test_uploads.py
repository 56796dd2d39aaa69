"""Hostile uploads: type by content, size and pixel limits before decoding, metadata stripped,
PDFs with scripts refused."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lms.uploads import MAX_BYTES, clean_upload


def upload(data: bytes, name: str = "scan.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def jpeg_with_gps() -> bytes:
    """A phone photo: camera make and a GPS position in its EXIF."""
    image = Image.effect_noise((640, 480), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}  # GPS
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def png(size=(32, 32)) -> bytes:
    output = io.BytesIO()
    Image.new("1", size).save(output, format="PNG")
    return output.getvalue()


class TestRefused:
    @pytest.mark.parametrize(
        ("data", "name", "message"),
        [
            (b"<html><script>alert(1)</script></html>", "photo.jpg", "不是"),
            (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', "a.svg", "不是"),
            (b"", "empty.jpg", "空"),
            (
                b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
                b"\n%%EOF",
                "a.pdf",
                "脚本",
            ),
            (b"\x00\x01\x02binary junk" * 10, "junk.png", "不是"),
        ],
        ids=["html-named-jpg", "svg", "zero-bytes", "pdf-with-javascript", "binary-junk"],
    )
    def test_refused_with_a_clear_message(self, data, name, message):
        """Each hostile file is refused, and the message says why in Chinese."""
        with pytest.raises(ValidationError) as refusal:
            clean_upload(upload(data, name))
        assert message in refusal.value.messages[0]

    def test_decompression_bomb_refused_before_decoding(self):
        """A 100-megapixel PNG of a few kilobytes is refused from its header."""
        bomb = png((10_000, 10_000))
        assert len(bomb) < 100_000
        with pytest.raises(ValidationError) as refusal:
            clean_upload(upload(bomb, "bomb.png"))
        assert "40" in refusal.value.messages[0]

    def test_far_larger_bomb_refused_too(self):
        """A 200-megapixel PNG, which Pillow itself would refuse to open, gets the same message."""
        with pytest.raises(ValidationError) as refusal:
            clean_upload(upload(png((20_000, 10_000)), "bomb.png"))
        assert "40" in refusal.value.messages[0]

    def test_truncated_jpeg(self):
        """Half a JPEG is refused as damaged."""
        data = jpeg_with_gps()
        with pytest.raises(ValidationError) as refusal:
            clean_upload(upload(data[: len(data) // 2]))
        assert "损坏" in refusal.value.messages[0]

    def test_too_large(self):
        """More than 10 MB is refused before it is read."""
        with pytest.raises(ValidationError):
            clean_upload(upload(b"\xff" * (MAX_BYTES + 1)))


class TestAccepted:
    def test_photo_loses_its_gps_and_gets_a_server_name(self):
        """The stored copy of a phone photo has no EXIF at all, GPS included."""
        original = jpeg_with_gps()
        assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
        clean = clean_upload(upload(original, "../../etc/passwd.jpg"))
        stored = clean.content.read()
        assert not Image.open(io.BytesIO(stored)).getexif()
        assert b"TestPhone" not in stored
        assert clean.content_type == "image/jpeg"
        assert clean.content.name.endswith(".jpg") and "passwd" not in clean.content.name

    def test_plain_pdf_and_png(self):
        """A plain PDF and a PNG are kept, typed by their content."""
        pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
        assert clean_upload(upload(pdf, "scan.jpg")).content_type == "application/pdf"
        assert clean_upload(upload(png(), "scan.pdf")).content_type == "image/png"


def test_truncated_image_refused_even_when_pillow_pads_them(monkeypatch):
    """Another library may ask Pillow to pad cut-off images; a half PNG is still refused."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = png((200, 200))
    with pytest.raises(ValidationError):
        clean_upload(upload(data[: len(data) - 20], "half.png"))
