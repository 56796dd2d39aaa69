"""A cadre completes a course, downloads the certificate, follows its QR code and sees it
valid; a platform admin revokes it and the same page says so."""

import pytest
from playwright.sync_api import expect

from certificates.models import Certificate

from ..certificates.conftest import compact, read_pdf, read_qr_codes
from .conftest import TITLE, log_in, play_video

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_certificate_from_completion_to_revocation(
    live_server, browser, phone, people, required_video_course, settings, tmp_path
):
    settings.SITE_URL = live_server.url  # what the QR code points at
    log_in(phone, live_server.url, people.cadre)
    phone.goto(live_server.url + required_video_course.url + "zjwg/")
    play_video(phone)
    expect(phone.get_by_text("课程已完成")).to_be_visible(timeout=20_000)

    phone.get_by_role("link", name="我的证书").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("我的证书")
    expect(phone.locator(".certificate-list")).to_contain_text(TITLE)
    with phone.expect_download() as download:
        phone.get_by_role("link", name="下载 PDF").click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    certificate = Certificate.objects.get()
    assert compact(certificate.serial) in read_pdf(saved).compact  # the file is the certificate
    (verify_url,) = read_qr_codes(saved, tmp_path)
    assert verify_url == live_server.url + certificate.verify_path

    phone.goto(verify_url)
    expect(phone.get_by_role("status")).to_contain_text("有效证书")
    expect(phone.locator(".facts")).to_contain_text("张*英")

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    admin = admin_context.new_page()
    log_in(admin, live_server.url, people.admin)
    admin.goto(verify_url)
    admin.get_by_role("link", name="撤销此证书").click()
    admin.get_by_label("原因").fill("培训记录有误，需重新核实")
    admin.get_by_role("button", name="撤销").click()
    expect(admin.get_by_role("status")).to_contain_text("该证书已被撤销")
    admin_context.close()

    phone.reload()
    expect(phone.get_by_role("status")).to_contain_text("该证书已被撤销")
    expect(phone.locator(".notice")).to_contain_text("培训记录有误，需重新核实")
