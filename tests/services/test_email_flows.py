"""E-mail verification before the sign-up credits, password reset by e-mailed link, the mail outbox
(issue 7 item 2; DESIGN.md §10).

Mail goes to a real SMTP server on a local port (aiosmtpd, tests/services/mail_sink.py). In most tests the
queue's mail sink delivers each mail at once with ``mail.deliver`` (what the ``send_mail`` actor does);
one test runs the real Dramatiq actor on an in-process worker. Clocks are injected with ``now=``.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.account_models import EmailOutbox
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import CreditGrant, utcnow
from genpire_app.backend.jobs import queue, sweep
from genpire_app.backend.services import accounts, credits, email_links, mail, sessions, throttle
from tests.mail_sink import SmtpSink, free_port, link_token

PASSWORD = "correct horse battery"
PUBLIC = "http://app.test"


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def _configure(monkeypatch, smtp_url: str) -> None:
    monkeypatch.setenv("SMTP_URL", smtp_url)
    monkeypatch.setenv("ALLOWED_ORIGINS", PUBLIC)
    get_settings.cache_clear()


@pytest.fixture
def delivered(app_env):
    """Deliver every queued mail at once (as the ``send_mail`` actor would); yields the statuses."""
    statuses: list[str] = []
    queue.reset()
    queue.set_mail_sink(lambda outbox_id: statuses.append(mail.deliver(outbox_id)))
    yield statuses
    queue.set_mail_sink(None)
    queue.reset()


@pytest.fixture
def smtp(app_env, sink, delivered, monkeypatch):
    """A mail server is configured (verification required) and every mail reaches ``sink``."""
    _configure(monkeypatch, sink.url)
    return sink


def outbox(kind: str | None = None) -> list[EmailOutbox]:
    with read_session() as s:
        query = select(EmailOutbox).order_by(EmailOutbox.created_at)
        if kind:
            query = query.where(EmailOutbox.kind == kind)
        return list(s.exec(query).all())


def signup_grants(user_id: int) -> int:
    with read_session() as s:
        query = select(CreditGrant).where(CreditGrant.user_id == user_id, CreditGrant.source == "signup")
        return len(s.exec(query).all())


# ---- verification with a mail server ---------------------------------------------------------------------


def test_with_smtp_a_new_account_is_unverified_without_credits_and_gets_a_link(smtp):
    uid = accounts.create_account(email="New@Example.com", password=PASSWORD)
    assert credits.balance(user_id=uid) == 0
    assert not accounts.is_verified(uid)
    msg = smtp.wait_for(1)[0]
    assert msg["To"] == "new@example.com" and "Confirm your email" in msg["Subject"]
    assert msg["From"] == get_settings().mail_from
    assert f"{PUBLIC}/verify-email?token=" in msg.get_content()
    assert "20 credits" in msg.get_content()


def test_verification_link_grants_the_credits_once_and_a_replay_grants_nothing(smtp):
    uid = accounts.create_account(email="me@example.com", password=PASSWORD)
    token = link_token(smtp.wait_for(1)[0], "/verify-email")

    first = email_links.verify_email(token)
    assert (first.status, first.granted, first.user_id) == ("verified", 2000, uid)
    assert first.message == "Your email is verified — 20 credits added to your account."
    assert credits.balance(user_id=uid) == 2000 and accounts.is_verified(uid)

    again = email_links.verify_email(token)
    assert (again.status, again.granted) == ("already", 0)
    assert "no credits were added again" in again.message
    assert credits.balance(user_id=uid) == 2000 and signup_grants(uid) == 1


def test_concurrent_uses_of_one_link_grant_once(smtp):
    uid = accounts.create_account(email="race@example.com", password=PASSWORD)
    token = link_token(smtp.wait_for(1)[0], "/verify-email")
    results: list[email_links.VerifyResult] = []
    start = threading.Barrier(6)

    def use() -> None:
        start.wait()
        results.append(email_links.verify_email(token))

    threads = [threading.Thread(target=use) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == ["already"] * 5 + ["verified"]
    assert sum(r.granted for r in results) == 2000
    assert credits.balance(user_id=uid) == 2000 and signup_grants(uid) == 1


def test_second_link_after_verification_grants_nothing_more(smtp):
    now = utcnow()
    uid = accounts.create_account(email="twice@example.com", password=PASSWORD, now=now)
    accounts.resend_verification(uid, now=now + timedelta(minutes=2))
    mails = smtp.wait_for(2)
    assert email_links.verify_email(link_token(mails[0], "/verify-email")).granted == 2000
    with pytest.raises(accounts.AccountError, match="already verified"):
        accounts.resend_verification(uid, now=now + timedelta(minutes=5))
    later = email_links.verify_email(link_token(mails[1], "/verify-email"))
    assert (later.status, later.granted) == ("verified", 0)
    assert credits.balance(user_id=uid) == 2000 and signup_grants(uid) == 1


def test_expired_verification_link_is_refused_and_a_new_one_works(smtp):
    now = utcnow()
    uid = accounts.create_account(email="late@example.com", password=PASSWORD, now=now)
    token = link_token(smtp.wait_for(1)[0], "/verify-email")

    late = now + timedelta(hours=48, seconds=1)
    result = email_links.verify_email(token, now=late)
    assert result.status == "invalid" and result.message == "This verification link has expired or is not valid."
    assert credits.balance(user_id=uid) == 0 and not accounts.is_verified(uid)

    accounts.resend_verification(uid, now=late)
    fresh = link_token(smtp.wait_for(2)[1], "/verify-email")
    assert email_links.verify_email(fresh, now=late).granted == 2000
    assert email_links.verify_email("not-a-token", now=late).status == "invalid"


def test_resend_is_throttled(smtp):
    now = utcnow()
    uid = accounts.create_account(email="again@example.com", password=PASSWORD, now=now)
    accounts.resend_verification(uid, now=now)
    with pytest.raises(throttle.Throttled) as err:
        accounts.resend_verification(uid, now=now + timedelta(seconds=10))
    assert 1 <= err.value.retry_after <= 60 and "Try again" in str(err.value)
    accounts.resend_verification(uid, now=now + timedelta(seconds=61))
    assert len(outbox("verify")) == 3


def test_sent_mail_keeps_no_link_secret(smtp):
    accounts.create_account(email="quiet@example.com", password=PASSWORD)
    token = link_token(smtp.wait_for(1)[0], "/verify-email")
    (row,) = outbox("verify")
    assert row.status == mail.SENT and row.sent_at is not None and row.attempts == 1
    assert token not in row.body and mail.REDACTED in row.body


# ---- embedded default: no mail server ---------------------------------------------------------------------


def test_without_smtp_credits_come_at_once_and_the_mail_waits_in_the_outbox(app_env, delivered):
    assert not get_settings().verification_required
    uid = accounts.create_account(email="local@example.com", password=PASSWORD)
    assert credits.balance(user_id=uid) == 2000 and accounts.is_verified(uid)
    (row,) = outbox("verify")
    assert row.status == mail.HELD and row.to_address == "local@example.com"
    assert delivered == [] and mail.deliver(row.id) == ""  # never sent
    token = row.body.split("/verify-email?token=")[1].split()[0]

    result = email_links.verify_email(token)
    assert (result.status, result.granted) == ("verified", 0)
    assert result.message == "Your email is verified."
    assert credits.balance(user_id=uid) == 2000 and signup_grants(uid) == 1
    assert [e.subject for e in mail.recent()] == [row.subject]


def test_dev_outbox_is_only_for_a_local_embedded_app(app_env, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", "http://localhost:3000")
    get_settings.cache_clear()
    assert mail.dev_outbox_allowed("127.0.0.1") and mail.dev_outbox_allowed("::1")
    assert not mail.dev_outbox_allowed("203.0.113.9") and not mail.dev_outbox_allowed("")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com")  # deployed behind a local proxy
    get_settings.cache_clear()
    assert not mail.dev_outbox_allowed("127.0.0.1")
    _configure(monkeypatch, "smtp://127.0.0.1:25")
    monkeypatch.setenv("ALLOWED_ORIGINS", "http://localhost:3000")
    get_settings.cache_clear()
    assert not mail.dev_outbox_allowed("127.0.0.1")


# ---- password reset ---------------------------------------------------------------------------------------


def test_reset_link_works_once_revokes_sessions_and_replaces_the_password(smtp):
    uid = accounts.create_account(email="forgetful@example.com", password=PASSWORD)
    phone, laptop = sessions.start(uid), sessions.start(uid)
    assert email_links.request_password_reset("Forgetful@Example.com", ip="198.51.100.7") == email_links.RESET_REQUESTED
    msg = smtp.wait_for(2)[1]
    assert msg["To"] == "forgetful@example.com" and "Reset your Genpire password" == msg["Subject"]
    token = link_token(msg, "/reset-password")
    assert email_links.reset_link_valid(token)

    assert email_links.reset_password(token, "a brand new secret") == uid
    assert sessions.resolve(phone) is None and sessions.resolve(laptop) is None
    assert accounts.authenticate("forgetful@example.com", PASSWORD) is None
    assert accounts.authenticate("forgetful@example.com", "a brand new secret") == uid

    assert not email_links.reset_link_valid(token)
    with pytest.raises(email_links.LinkError) as err:
        email_links.reset_password(token, "yet another secret")
    assert err.value.field == "token" and "expired or was already used" in err.value.message
    assert accounts.authenticate("forgetful@example.com", "a brand new secret") == uid
    (row,) = outbox("reset")
    assert row.status == mail.SENT and token not in row.body


def test_expired_reset_link_is_refused(smtp):
    now = utcnow()
    uid = accounts.create_account(email="slow@example.com", password=PASSWORD)
    email_links.request_password_reset("slow@example.com", ip="198.51.100.7", now=now)
    token = link_token(smtp.wait_for(2)[1], "/reset-password")
    with pytest.raises(email_links.LinkError):
        email_links.reset_password(token, "a brand new secret", now=now + timedelta(minutes=30, seconds=1))
    assert accounts.authenticate("slow@example.com", PASSWORD) == uid


def test_a_new_reset_request_cancels_the_earlier_link_and_a_refused_password_keeps_the_link(smtp):
    now = utcnow()
    uid = accounts.create_account(email="two@example.com", password=PASSWORD)
    email_links.request_password_reset("two@example.com", ip="198.51.100.7", now=now)
    email_links.request_password_reset("two@example.com", ip="198.51.100.7", now=now + timedelta(minutes=1))
    mails = smtp.wait_for(3)
    old, new = link_token(mails[1], "/reset-password"), link_token(mails[2], "/reset-password")
    with pytest.raises(email_links.LinkError):
        email_links.reset_password(old, "a brand new secret", now=now + timedelta(minutes=2))
    with pytest.raises(email_links.LinkError) as err:
        email_links.reset_password(new, "short", now=now + timedelta(minutes=2))
    assert err.value.field == "password" and "at least 8" in err.value.message
    assert email_links.reset_password(new, "a brand new secret", now=now + timedelta(minutes=2)) == uid


def test_unknown_address_gets_the_same_answer_in_the_same_time_and_no_mail(smtp):
    accounts.create_account(email="known@example.com", password=PASSWORD)
    smtp.wait_for(1)
    started = time.perf_counter()
    unknown = email_links.request_password_reset("nobody@example.com", ip="198.51.100.7")
    unknown_s = time.perf_counter() - started
    started = time.perf_counter()
    known = email_links.request_password_reset("known@example.com", ip="198.51.100.8")
    known_s = time.perf_counter() - started

    assert unknown == known == email_links.RESET_REQUESTED
    assert [r.to_address for r in outbox("reset")] == ["known@example.com"]
    assert min(unknown_s, known_s) >= email_links.RESET_ANSWER_SECONDS
    assert max(unknown_s, known_s) / min(unknown_s, known_s) < 1.5, (unknown_s, known_s)
    assert smtp.wait_for(2)[1]["To"] == "known@example.com"


def test_reset_requests_are_limited_per_address_whether_or_not_it_exists(smtp, monkeypatch):
    monkeypatch.setattr(email_links, "RESET_ANSWER_SECONDS", 0)
    now = utcnow()
    for address in ("known@example.com", "nobody@example.com"):
        if address.startswith("known"):
            accounts.create_account(email=address, password=PASSWORD)
        for i in range(email_links.RESET_PER_ADDRESS_PER_HOUR):
            email_links.request_password_reset(address, ip=f"198.51.100.{i}", now=now)
        with pytest.raises(throttle.Throttled):
            email_links.request_password_reset(address, ip="198.51.100.99", now=now)
    with pytest.raises(email_links.LinkError):
        email_links.request_password_reset("not an address", ip="198.51.100.7", now=now)


# ---- the outbox: retries, failure, the queue ---------------------------------------------------------------


def test_smtp_down_keeps_the_mail_pending_then_fails_after_the_last_attempt(app_env, delivered, monkeypatch):
    _configure(monkeypatch, f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    now = utcnow()
    accounts.create_account(email="patient@example.com", password=PASSWORD, now=now)
    (row,) = outbox("verify")
    assert delivered == [mail.PENDING] and row.attempts == 1 and row.last_error
    assert mail.deliver(row.id, now=now + timedelta(seconds=30)) == ""  # next attempt not due yet
    assert mail.due_ids(now=now + timedelta(seconds=30)) == []

    statuses = []
    for delay in mail.RETRY_DELAYS[1:]:
        assert mail.due_ids(now=now + delay) == [row.id]
        statuses.append(mail.deliver(row.id, now=now + delay))
    assert statuses == [mail.PENDING] * (mail.MAX_ATTEMPTS - 2) + [mail.FAILED]
    (row,) = outbox("verify")
    assert row.status == mail.FAILED and row.attempts == mail.MAX_ATTEMPTS and row.sent_at is None
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert "?token=" + mail.REDACTED in row.body
    assert mail.due_ids(now=now + timedelta(days=1)) == []


def test_a_permanent_refusal_fails_at_once(smtp):
    accounts.create_account(email="bounce@example.com", password=PASSWORD)
    (row,) = outbox("verify")
    assert row.status == mail.FAILED and row.attempts == 1 and "550" in row.last_error


def test_the_sweep_sends_mail_whose_message_was_lost(app_env, sink, monkeypatch):
    _configure(monkeypatch, sink.url)
    lost: list = []
    queue.reset()
    queue.set_mail_sink(lost.append)  # the message goes nowhere
    try:
        now = utcnow()
        accounts.create_account(email="lost@example.com", password=PASSWORD, now=now)
        assert len(lost) == 1 and outbox("verify")[0].status == mail.PENDING
        assert sweep.recovery_sweep(now=now + timedelta(seconds=5))["requeued_mail"] == 0  # still fresh
        report = sweep.recovery_sweep(now=now + mail.SWEEP_GRACE + timedelta(seconds=1))
        assert report["requeued_mail"] == 1 and lost[1] == lost[0]
        assert mail.deliver(lost[1]) == mail.SENT
    finally:
        queue.set_mail_sink(None)
        queue.reset()
    assert sink.wait_for(1)[0]["To"] == "lost@example.com"


def test_the_queue_worker_sends_the_mail(app_env, sink, monkeypatch):
    _configure(monkeypatch, sink.url)
    queue.reset()
    worker = queue.InProcessWorker(threads=2)
    worker.start()
    try:
        accounts.create_account(email="queued@example.com", password=PASSWORD)
        msg = sink.wait_for(1)[0]
    finally:
        worker.stop()
        queue.reset()
    assert msg["To"] == "queued@example.com"
    assert outbox("verify")[0].status == mail.SENT


def test_smtp_url_forms():
    plain = mail.parse_smtp_url("smtp://mailer%40x.org:p%3Ass@mail.example.com")
    assert (plain.host, plain.port, plain.username, plain.password, plain.security) == (
        "mail.example.com", 25, "mailer@x.org", "p:ss", "none")
    assert mail.parse_smtp_url("smtp://u:p@mail.example.com?starttls=1").port == 587
    tls = mail.parse_smtp_url("smtps://u:p@mail.example.com:2465")
    assert (tls.port, tls.security) == (2465, "tls")
    with pytest.raises(ValueError):
        mail.parse_smtp_url("http://mail.example.com")
    body = "Open http://x/reset-password?token=abc-DEF_123 now"
    assert mail.redact(body) == f"Open http://x/reset-password?token={mail.REDACTED} now"
