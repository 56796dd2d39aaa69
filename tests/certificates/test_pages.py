"""Public verification, 我的证书, downloads and revocation: who sees what."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache

from certificates import services
from certificates.models import Certificate
from courses import services as course_services

from ..queries import page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(people):
    issued = services.certificate_issue(
        cadre=people.cadre, kind=Certificate.Kind.COURSE, subject="course:1",
        title="居民自治与协商议事", hours=Decimal("2"), completed_on=datetime.date(2026, 11, 26),
    )  # fmt: skip
    return services.certificate_render(certificate_id=issued.pk)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


class TestVerification:
    def test_valid_certificate_shows_the_facts_and_a_masked_name(self, client, certificate):
        response = client.get(certificate.verify_path)
        text = response.content.decode()
        assert response.status_code == 200
        assert "有效证书" in text and "张*英" in text and "张秀英" not in text
        for fact in ("居民自治与协商议事", certificate.serial, "中共和平区委组织部", "2026-11-26"):
            assert fact in text
        assert people_details_absent(text, certificate)

    def test_codes_typed_by_hand_are_found(self, client, certificate):
        typed = certificate.code.lower().replace("0", "o").replace("1", "l")
        response = client.get("/verify/", {"code": f" {typed[:10]} {typed[10:]} "})
        assert response.status_code == 302 and response["Location"] == certificate.verify_path

    def test_a_malformed_code_is_explained_on_the_form(self, client):
        response = client.get("/verify/", {"code": "12345"})
        assert response.status_code == 200
        assert "核验码由 20 位字母和数字组成" in response.content.decode()

    def test_unknown_and_malformed_codes_look_the_same(self, client, certificate):
        unknown_path, malformed_path = "/verify/00000-00000-00000-00000/", "/verify/nonsense/"
        unknown, malformed = client.get(unknown_path), client.get(malformed_path)
        assert unknown.status_code == malformed.status_code == 404

        # the same page but for the address itself and the per-page CSRF token
        def page(response, path):
            return re.sub(r'value="[^"]*"', "", response.content.decode().replace(path, ""))

        assert page(unknown, unknown_path) == page(malformed, malformed_path)

    def test_revoked_certificate_says_so_with_date_and_reason(self, client, certificate):
        services.certificate_revoke(certificate=certificate, reason="培训记录有误", by=None)
        text = client.get(certificate.verify_path).content.decode()
        assert "该证书已被撤销" in text and "培训记录有误" in text and "有效证书" not in text

    def test_verification_is_rate_limited(self, client, certificate, settings):
        settings.CERTIFICATE_VERIFY_RATE = "5/m"
        statuses = [client.get(certificate.verify_path).status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429] * 2
        other_address = client.get(certificate.verify_path, REMOTE_ADDR="10.0.0.9")
        assert other_address.status_code == 200

    def test_query_count(self, client, certificate):
        assert page_queries(client, certificate.verify_path) <= 4


def people_details_absent(text: str, certificate: Certificate) -> bool:
    """Nothing about the holder beyond the masked name: no mobile, no organization."""
    return certificate.cadre.mobile not in text and "桂花园" not in text


class TestMyCertificates:
    def test_lists_own_certificates_with_download_and_link(self, client, people, certificate):
        client.force_login(people.cadre)
        text = client.get("/certificates/").content.decode()
        assert "居民自治与协商议事" in text and certificate.serial in text
        assert f"/certificates/{certificate.pk}/pdf/" in text and certificate.verify_url in text

    def test_others_do_not_see_them(self, client, people, certificate):
        client.force_login(people.sakura_cadre)
        assert certificate.serial not in client.get("/certificates/").content.decode()

    def test_statement_is_produced_for_a_year_with_hours(self, client, people):
        course_services.credit_grant(
            cadre=people.cadre, kind="online_course", source="course:1", hours=Decimal("3"),
            description="社区治理", year=2026,
        )  # fmt: skip
        client.force_login(people.cadre)
        response = client.post("/certificates/statement/", {"year": "2026"})
        assert response.status_code == 302
        statement = Certificate.objects.get(kind=Certificate.Kind.STATEMENT)
        assert statement.hours == Decimal("3") and statement.cadre == people.cadre

    def test_statement_for_a_year_without_hours_is_refused(self, client, people):
        client.force_login(people.cadre)
        response = client.post("/certificates/statement/", {"year": "1999"}, follow=True)
        assert "请选择有学时记录的年度" in response.content.decode()
        assert not Certificate.objects.exists()


class TestDownload:
    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("cadre", 200),
            ("osmanthus_secretary", 200),
            ("east_secretary", 200),
            ("admin", 200),
            ("sakura_cadre", 404),
            ("south_secretary", 404),
            ("lecturer", 404),
        ],
    )
    def test_who_may_download(self, client, people, certificate, who, status):
        client.force_login(getattr(people, who))
        response = client.get(f"/certificates/{certificate.pk}/pdf/")
        assert response.status_code == status
        if status == 200:
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content).startswith(b"%PDF")

    def test_anonymous_is_sent_to_log_in(self, client, certificate):
        response = client.get(f"/certificates/{certificate.pk}/pdf/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_the_file_is_not_public_under_media(self, client, certificate):
        assert client.get(certificate.pdf.url).status_code == 404

    def test_a_certificate_still_being_produced_says_so(self, client, people, certificate):
        Certificate.objects.filter(pk=certificate.pk).update(
            pdf="", status=Certificate.Status.PENDING
        )
        client.force_login(people.cadre)
        response = client.get(f"/certificates/{certificate.pk}/pdf/")
        assert response.status_code == 202 and "正在生成" in response.content.decode()


class TestRevokePage:
    @pytest.mark.parametrize("who", ["cadre", "east_secretary", "lecturer"])
    def test_only_platform_admins(self, client, people, certificate, who):
        client.force_login(getattr(people, who))
        assert client.get(f"/certificates/{certificate.pk}/revoke/").status_code == 404
        response = client.post(f"/certificates/{certificate.pk}/revoke/", {"reason": "x"})
        assert response.status_code == 404
        certificate.refresh_from_db()
        assert certificate.is_valid

    def test_a_reason_is_required(self, client, people, certificate):
        client.force_login(people.admin)
        response = client.post(f"/certificates/{certificate.pk}/revoke/", {"reason": ""})
        assert response.status_code == 200 and "reason" in response.context["form"].errors
        certificate.refresh_from_db()
        assert certificate.is_valid

    def test_revoke_and_reissue(self, client, people, certificate):
        client.force_login(people.admin)
        response = client.post(
            f"/certificates/{certificate.pk}/revoke/", {"reason": "姓名有误", "reissue": "on"}
        )
        assert response.status_code == 302 and response["Location"] == certificate.verify_path
        certificate.refresh_from_db()
        assert certificate.revoked_reason == "姓名有误" and certificate.revoked_by == people.admin
        assert certificate.replaced_by.is_valid
