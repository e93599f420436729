"""On CI the optional system tools must be present, so the tests that need them run instead of skipping."""

import os
import shutil

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("CI", "").lower() != "true", reason="only CI promises these tools"
)


def test_debian_chromium_is_installed_for_the_browser_journeys():
    assert shutil.which("chromium"), ".ci/run must install Debian's chromium"


def test_gettext_is_installed_for_the_translations():
    assert shutil.which("msgfmt"), ".ci/run must install gettext"
