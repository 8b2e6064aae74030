"""Where a tab whose session ended is sent (issue 7 item 1): the sign-in page, back to where it was."""

from __future__ import annotations

from genpire_app.state.session import SignedOut


def test_sign_in_url_returns_to_the_page_without_the_static_trailing_slash():
    assert SignedOut("/dashboard/").login_url == "/login?next=%2Fdashboard"
    assert SignedOut("/ai-designer/?product=7", had_session=True).login_url == \
        "/login?next=%2Fai-designer%3Fproduct%3D7&expired=1"
    assert SignedOut("/").login_url == "/login?next=%2F"


def test_sign_in_url_never_returns_to_the_sign_in_page_or_another_site():
    assert SignedOut("/login?next=%2Fdashboard").login_url == "/login"
    assert SignedOut("https://evil.example/").login_url == "/login"
    assert SignedOut("//evil.example/x").login_url == "/login"
    assert SignedOut("", had_session=True).login_url == "/login?expired=1"
