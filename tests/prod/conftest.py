"""Production topology tier (marker ``prod``): PostgreSQL, Redis, an S3 server (moto), 2 web workers and
1 queue worker, production build (``tests/topology.py``). Runs when those services answer on this machine
(``.ci/run`` has them); otherwise every test here is skipped with the reason.

Push latencies measured by the tests are printed at the end of the run (and written to
``test-results/prod/push-latency.txt``).
"""

from __future__ import annotations

import os
import statistics

import pytest

from tests.browser import RESULTS, tier_page
from tests.mail_sink import SmtpSink
from tests.topology import production_services, start_production

LATENCY_MS = "900"
#: Push latencies (milliseconds) from a job's commit to the DOM change in another tab.
PUSH_LATENCIES_MS: list[float] = []
_REASON = production_services()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/prod/" in str(item.fspath):
            item.add_marker(pytest.mark.prod)
            if _REASON and not os.environ.get("REQUIRE_ALL_TIERS"):
                item.add_marker(pytest.mark.skip(reason=f"production tier skipped: {_REASON}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def pytest_terminal_summary(terminalreporter):
    if not PUSH_LATENCIES_MS:
        return
    values = sorted(PUSH_LATENCIES_MS)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    line = (f"push latency, job commit -> DOM of another tab (production topology): n={len(values)} "
            f"p50={statistics.median(values):.0f} ms p95={p95:.0f} ms max={values[-1]:.0f} ms (target p95 < 300 ms)")
    terminalreporter.write_line(line)
    (RESULTS / "prod").mkdir(parents=True, exist_ok=True)
    (RESULTS / "prod" / "push-latency.txt").write_text(line + "\n" + " ".join(f"{v:.0f}" for v in values) + "\n")


@pytest.fixture(scope="session")
def mail_sink():
    """The tier's mail server (aiosmtpd): with ``SMTP_URL`` set, as in production, sign-ups verify their
    address before the sign-up credits arrive."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def prod(tmp_path_factory, mail_sink):
    """The production topology, started once for the tier (``REQUIRE_ALL_TIERS``: missing services fail)."""
    if _REASON:
        pytest.fail(f"the production tier is required but {_REASON}")
    topo = start_production(tmp_path_factory.mktemp("prod-data"), RESULTS / "prod", extra={
        "SMTP_URL": mail_sink.url,
        "OFFLINE_LATENCY_MS": LATENCY_MS,
        "JOB_STALE_SECONDS": "15",
        "SWEEP_SECONDS": "2",
        "QUEUE_HEARTBEAT_TIMEOUT_MS": "5000",
    })
    try:
        yield topo
    finally:
        topo.stop()


@pytest.fixture
def prod_page(browser, prod, mail_sink, request):
    """A fresh browser context and page on the server; screenshot on failure. ``sign_up`` on it verifies
    the address through ``mail_sink``."""
    with tier_page(browser, prod.base_url, "prod", request) as pg:
        pg.mail_sink = mail_sink
        yield pg


@pytest.fixture
def fixtures(fixtures_dir):
    return {"logo": fixtures_dir / "brand-logo.png", "photo": fixtures_dir / "coffee-cup-photo.png"}
