"""Logging in by mobile or username, throttling, first-login password choice, logout."""

import pytest
from django.conf import settings

from lms.models import User

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


class TestLogin:
    def test_login_by_mobile_number(self, client, people):
        """A cadre logs in with the mobile number and lands on the home page."""
        response = post_login(client, "13800000001", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert client.get("/").context["user"] == people.cadre

    def test_login_by_username(self, client, people):
        """The username works as well as the mobile number."""
        response = post_login(client, "cadre", PASSWORD)
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == people.cadre.pk

    def test_wrong_password_gives_a_chinese_message(self, client, people):
        """A wrong password re-shows the form with a plain Chinese explanation."""
        response = post_login(client, "13800000001", "wrong-password")
        assert response.status_code == 200
        assert "手机号（或用户名）与密码不匹配" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_unknown_account_gives_the_same_message(self, client, people):
        """An unknown number is not distinguishable from a wrong password."""
        response = post_login(client, "13999999999", "whatever-1")
        assert "手机号（或用户名）与密码不匹配" in response.content.decode()

    def test_disabled_account_cannot_log_in(self, client, people):
        """A deactivated account is refused."""
        User.objects.filter(pk=people.cadre.pk).update(is_active=False)
        response = post_login(client, "13800000001", PASSWORD)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_twenty_wrong_passwords_lock_the_account_for_that_address(self, client, people):
        """After the failure limit, even the right password is refused with a lockout page."""
        limit = settings.AXES_FAILURE_LIMIT
        statuses = [post_login(client, "13800000001", f"bad-{i}").status_code for i in range(20)]
        assert statuses[: limit - 1] == [200] * (limit - 1)
        assert statuses[limit:] == [429] * (20 - limit)
        response = post_login(client, "13800000001", PASSWORD)
        assert response.status_code == 429
        assert "尝试失败次数过多" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_lockout_does_not_affect_other_accounts(self, client, people):
        """Locking one account leaves another account on the same address usable."""
        for i in range(settings.AXES_FAILURE_LIMIT):
            post_login(client, "13800000001", f"bad-{i}")
        assert post_login(client, "13800000002", PASSWORD).status_code == 302

    def test_session_lasts_weeks(self, client, people):
        """Phones stay logged in: the session cookie lives for the configured weeks."""
        post_login(client, "13800000001", PASSWORD)
        assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
        assert settings.SESSION_COOKIE_AGE >= 14 * 24 * 3600

    def test_logout_ends_the_session(self, client, people):
        """Logging out (POST) ends the session."""
        post_login(client, "13800000001", PASSWORD)
        response = client.post("/accounts/logout/")
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session


class TestFirstLogin:
    @pytest.fixture
    def imported(self, people):
        """An account as the roster import leaves it: no password yet, must choose one."""
        user = people.cadre
        user.set_unusable_password()
        user.must_change_password = True
        user.save()
        return user

    def test_initial_password_is_last_six_digits_and_leads_to_password_page(self, client, imported):
        """The first login uses the last six digits and is sent to choose a password."""
        assert post_login(client, imported.mobile, "000000").status_code == 200  # wrong
        response = post_login(client, imported.mobile, imported.mobile[-6:])
        assert response.status_code == 302
        page = client.get("/")
        assert page.status_code == 302
        assert page["Location"] == "/accounts/password/"

    def test_choosing_a_password_ends_the_obligation(self, client, imported):
        """After choosing a password the initial one stops working and pages open normally."""
        post_login(client, imported.mobile, imported.mobile[-6:])
        page = client.get("/accounts/password/")
        assert "old_password" not in page.context["form"].fields
        response = client.post(
            "/accounts/password/",
            {"new_password1": "Harmony-2026!", "new_password2": "Harmony-2026!"},
        )
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        imported.refresh_from_db()
        assert not imported.must_change_password
        client.post("/accounts/logout/")
        assert post_login(client, imported.mobile, imported.mobile[-6:]).status_code == 200
        assert post_login(client, imported.mobile, "Harmony-2026!").status_code == 302

    def test_weak_password_is_refused_in_chinese(self, client, imported):
        """Password rules speak Chinese and keep the obligation in place."""
        post_login(client, imported.mobile, imported.mobile[-6:])
        response = client.post(
            "/accounts/password/", {"new_password1": "123456", "new_password2": "123456"}
        )
        assert response.status_code == 200
        assert "密码长度太短，至少需要 8 个字符" in response.content.decode()
        imported.refresh_from_db()
        assert imported.must_change_password


class TestPasswordChange:
    def test_change_requires_the_old_password(self, client, people, login):
        """A normal account must give its current password to change it."""
        login(people.cadre)
        response = client.post(
            "/accounts/password/",
            {
                "old_password": "not-it",
                "new_password1": "Harmony-2026!",
                "new_password2": "Harmony-2026!",
            },
        )
        assert response.status_code == 200
        assert "旧密码不正确" in response.content.decode()
        response = client.post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "Harmony-2026!",
                "new_password2": "Harmony-2026!",
            },
        )
        assert response.status_code == 302
        assert client.get("/").status_code == 200  # session survives the change


class TestPasswordHashing:
    def test_login_upgrades_heavier_argon2_hashes_to_the_project_parameters(
        self, client, people, settings
    ):
        """A hash made with Django's default Argon2 still logs in and is re-made with ours."""
        from django.contrib.auth.hashers import Argon2PasswordHasher

        from lms.hashers import Argon2PasswordHasher as ProjectArgon2

        settings.PASSWORD_HASHERS = ["lms.hashers.Argon2PasswordHasher"]
        django_default = Argon2PasswordHasher()
        User.objects.filter(pk=people.cadre.pk).update(
            password=django_default.encode(PASSWORD, django_default.salt())
        )
        assert post_login(client, people.cadre.mobile, PASSWORD).status_code == 302
        people.cadre.refresh_from_db()
        stored = ProjectArgon2().decode(people.cadre.password)
        assert (stored["memory_cost"], stored["time_cost"], stored["parallelism"]) == (
            19 * 1024,
            2,
            1,
        )
