"""The development outbox page shows mail bodies with clickable links (issue 7 item 2)."""

from __future__ import annotations

from genpire_app.state.email_links import BodyPart, _parts


def test_body_links_become_link_parts_and_the_rest_stays_text():
    body = "Hello,\n\nhttp://localhost:3000/verify-email?token=abc_DEF-1\n\nBye. https://x.test/a?b=1."
    assert _parts(body) == [
        BodyPart("Hello,\n\n"),
        BodyPart("http://localhost:3000/verify-email?token=abc_DEF-1", "http://localhost:3000/verify-email?token=abc_DEF-1"),
        BodyPart("\n\nBye. "),
        BodyPart("https://x.test/a?b=1", "https://x.test/a?b=1"),
        BodyPart("."),
    ]
    assert "".join(p.text for p in _parts(body)) == body


def test_only_http_links_are_clickable():
    assert [p.href for p in _parts("javascript:alert(1) mailto:a@b.c")] == [""]
