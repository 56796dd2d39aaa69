"""The cadre's forms, posted as a phone would: bounds of a practice log, the photo limit, the
storage quota and hostile files, each refused with its message and nothing saved."""

import datetime
import io
import os
from decimal import Decimal

import pytest
from PIL import Image

from practice.models import ExternalClaim, PracticeLog, PracticePhoto, PracticeSettings

from ..lms.test_uploads import jpeg_with_gps, png
from .conftest import PDF, REFLECTION, claim_fields, jpeg, photo_upload

pytestmark = pytest.mark.django_db


def post_log(client, photos=(), **overrides):
    data = {
        "date": (datetime.date.today() - datetime.timedelta(days=1)).isoformat(),
        "activity": "site_visit",
        "place": "社区党群服务中心",
        "hours": "2",
        "description": "参观社区治理展厅。",
        "reflection": REFLECTION,
        **overrides,
    }
    if photos:
        data["photos"] = list(photos)
    return client.post("/practice/new/", data)


def errors(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@pytest.fixture
def cadre_client(client, people):
    client.force_login(people.cadre)
    return client


class TestPracticeLogForm:
    def test_valid_log_with_photos_is_saved_with_thumbnails(self, cadre_client, people):
        """Two photos are stored cleaned, each with a JPEG thumbnail of at most 480 px."""
        response = post_log(cadre_client, [photo_upload(), photo_upload(jpeg((2000, 1000)))])
        log = PracticeLog.objects.get(cadre=people.cadre)
        assert response.status_code == 302 and response["Location"] == f"/practice/{log.pk}/"
        assert log.photos.count() == 2 and log.status == "submitted"
        photo = log.photos.last()
        with Image.open(photo.thumbnail.open("rb")) as thumbnail:
            assert thumbnail.format == "JPEG" and max(thumbnail.size) == 480
        assert photo.image.name.startswith("practice/photos/")
        assert photo.stored_bytes == photo.image.size + photo.thumbnail.size

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"reflection": "很有收获。" * 5}, "至少写 50 个字"),
            ({"hours": "0"}, "0.5 至 8"),
            ({"hours": "8.5"}, "0.5 至 8"),
            ({"hours": "1.5"}, None),
            ({"hours": "1.3"}, "以 0.5 为单位"),
            (
                {"date": (datetime.date.today() + datetime.timedelta(days=1)).isoformat()},
                "不能晚于今天",
            ),
        ],
        ids=["short-reflection", "zero-hours", "over-max", "half-ok", "not-half", "future"],
    )
    def test_bounds(self, cadre_client, overrides, message):
        """Reflection length, hours (0.5 steps, at most the setting) and a date not ahead."""
        response = post_log(cadre_client, **overrides)
        if message is None:
            assert response.status_code == 302
        else:
            assert response.status_code == 400 and message in errors(response)
            assert not PracticeLog.objects.exists()

    def test_limits_follow_the_settings(self, cadre_client):
        """The minimum reflection and maximum hours come from PracticeSettings."""
        settings = PracticeSettings.load()
        settings.min_reflection_chars, settings.max_log_hours = 10, Decimal("12")
        settings.save()
        assert (
            post_log(cadre_client, reflection="很有收获，学到很多。", hours="12").status_code == 302
        )

    def test_ten_photos_refused(self, cadre_client):
        """At most nine photos; with ten nothing is saved."""
        response = post_log(cadre_client, [photo_upload() for _ in range(10)])
        assert response.status_code == 400 and "最多上传 9 张照片" in errors(response)
        assert not PracticeLog.objects.exists() and not PracticePhoto.objects.exists()

    def test_quota_exceeded_refused_with_nothing_saved(self, cadre_client, settings):
        """An upload beyond the cadre's storage quota is refused; no log, no file is kept."""
        practice = PracticeSettings.load()
        practice.storage_quota_mb = 1
        practice.save()
        noisy = io.BytesIO()
        Image.effect_noise((1000, 1000), 80).convert("RGB").save(noisy, "JPEG", quality=95)
        response = post_log(cadre_client, [photo_upload(noisy.getvalue()) for _ in range(2)])
        assert response.status_code == 400 and "存储空间已满" in errors(response)
        assert not PracticeLog.objects.exists() and not PracticePhoto.objects.exists()
        assert not [files for _, _, files in os.walk(settings.MEDIA_ROOT) if files]


BOMB = png((10_000, 10_000))


class TestHostilePhotos:
    @pytest.mark.parametrize(
        ("data", "name", "message"),
        [
            (b"<html><script>alert(1)</script></html>", "photo.jpg", "不是"),
            (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', "a.svg", "不是"),
            (BOMB, "bomb.png", "像素"),
            (jpeg()[:2000], "cut.jpg", "损坏"),
            (b"", "empty.jpg", "空"),
            (PDF, "scan.pdf", "JPEG"),
        ],
        ids=["html-named-jpg", "svg", "decompression-bomb", "truncated-jpeg", "zero-bytes", "pdf"],
    )
    def test_refused_and_nothing_saved(self, cadre_client, data, name, message):
        """Each hostile file is refused with its message and the log is not saved."""
        response = post_log(cadre_client, [photo_upload(data, name)])
        assert response.status_code == 400
        assert message in errors(response)
        assert not PracticeLog.objects.exists() and not PracticePhoto.objects.exists()

    def test_gps_photo_stored_without_any_exif(self, cadre_client, people):
        """A phone photo with GPS is kept, re-encoded with no EXIF at all."""
        original = jpeg_with_gps()
        with Image.open(io.BytesIO(original)) as image:
            assert image.getexif()  # the fixture really carries EXIF
        assert post_log(cadre_client, [photo_upload(original, "IMG_0001.jpg")]).status_code == 302
        photo = PracticePhoto.objects.get()
        for stored in (photo.image, photo.thumbnail):
            with Image.open(stored.open("rb")) as image:
                assert not image.getexif()
        assert "IMG_0001" not in photo.image.name


class TestExternalClaimForm:
    def post(self, client, proof, **overrides):
        data = {**claim_fields(**overrides), "proof": proof}
        data = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}
        return client.post("/practice/claims/new/", data)

    def test_pdf_proof_accepted(self, cadre_client, people):
        """A plain PDF proof is stored privately and the claim awaits review."""
        response = self.post(cadre_client, photo_upload(PDF, "proof.pdf"))
        assert response.status_code == 302
        claim = ExternalClaim.objects.get(cadre=people.cadre)
        assert claim.proof_type == "application/pdf" and claim.proof.name.startswith("practice/")

    def test_pdf_with_javascript_refused(self, cadre_client):
        """A PDF that runs a script is refused and no claim is saved."""
        hostile = (
            b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF"
        )
        response = self.post(cadre_client, photo_upload(hostile, "proof.pdf"))
        assert response.status_code == 400 and "脚本" in errors(response)
        assert not ExternalClaim.objects.exists()

    def test_dates_in_order_and_not_ahead(self, cadre_client):
        """The last day cannot come before the first, nor lie in the future."""
        today = datetime.date.today()
        backwards = self.post(
            cadre_client,
            photo_upload(PDF, "p.pdf"),
            start_date=today,
            end_date=today - datetime.timedelta(days=1),
        )
        assert backwards.status_code == 400 and "早于开始日期" in errors(backwards)
        ahead = self.post(
            cadre_client, photo_upload(PDF, "p.pdf"), end_date=today + datetime.timedelta(days=3)
        )
        assert ahead.status_code == 400 and "不能晚于今天" in errors(ahead)
        assert not ExternalClaim.objects.exists()
