"""A cadre logs in on a phone and sees their home page in Chinese."""

import pytest

from ..factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_cadre_logs_in_on_a_phone(live_server, phone, people, tree):
    """Log in with the mobile number; the home page greets in Chinese and fits 360 px."""
    phone.goto(live_server.url + "/")
    phone.get_by_role("link", name="登录开始学习").click()
    phone.get_by_label("手机号或用户名").fill(people.cadre.mobile)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()

    phone.wait_for_url(live_server.url + "/")
    assert phone.get_by_role("heading", level=1).inner_text() == "张秀英，您好"
    assert tree.branch.name in phone.content()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a phone ({width}px)"


def test_wrong_password_shows_chinese_error(live_server, phone, people):
    """A wrong password leaves the cadre on the form with a Chinese message."""
    phone.goto(live_server.url + "/accounts/login/")
    phone.get_by_label("手机号或用户名").fill(people.cadre.mobile)
    phone.get_by_label("密码").fill("wrong-password")
    phone.get_by_role("button", name="登录").click()
    assert (
        phone.get_by_role("alert").first.inner_text().startswith("手机号（或用户名）与密码不匹配")
    )


def test_large_text_toggle_persists(live_server, phone, people):
    """The large-text button enlarges the text and the choice survives a reload."""
    phone.goto(live_server.url + "/")
    before = phone.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    phone.get_by_role("button", name="大字").click()
    phone.reload()
    after = phone.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert after > before
    assert phone.get_by_role("button", name="大字").get_attribute("aria-pressed") == "true"
