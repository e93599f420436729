"""Settings that the test fixtures override must still be right in the real settings module."""

from steerdesk import settings as project_settings


def test_passwords_are_hashed_with_argon2():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_passwords_need_twelve_characters_and_are_checked_against_common_ones():
    validators = {v["NAME"].rsplit(".", 1)[1]: v for v in project_settings.AUTH_PASSWORD_VALIDATORS}
    assert validators["MinimumLengthValidator"]["OPTIONS"]["min_length"] == 12
    assert "CommonPasswordValidator" in validators


def test_time_zone_and_language_defaults():
    assert project_settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert project_settings.LANGUAGE_CODE == "vi"
    assert project_settings.USE_TZ is True
