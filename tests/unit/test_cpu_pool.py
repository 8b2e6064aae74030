"""The CPU process pool (``backend.cpu_pool``): work runs in another process, errors come back intact."""

from __future__ import annotations

import asyncio
import os

import pytest

from genpire_app.backend import cpu_pool
from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import ProviderError


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def _fails() -> None:
    raise ProviderError("The mockup service is busy.", provider="offline", retryable=True, status_code=503,
                        detail="queue full")


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setenv("CPU_PROCESSES", "1")
    get_settings.cache_clear()
    yield
    cpu_pool.shutdown()
    get_settings.cache_clear()


def test_work_runs_in_another_process_and_returns_its_result(pool):
    pid, square = asyncio.run(cpu_pool.run_cpu(_pid_and_square, 12))
    assert square == 144
    assert pid != os.getpid()


def test_a_provider_error_in_the_child_is_raised_again_with_its_fields(pool):
    with pytest.raises(ProviderError) as err:
        asyncio.run(cpu_pool.run_cpu(_fails))
    assert (err.value.message, err.value.retryable, err.value.status_code) == ("The mockup service is busy.", True, 503)


def test_cpu_processes_off_runs_in_this_process(monkeypatch):
    monkeypatch.setenv("CPU_PROCESSES", "0")
    get_settings.cache_clear()
    try:
        pid, _ = asyncio.run(cpu_pool.run_cpu(_pid_and_square, 2))
    finally:
        get_settings.cache_clear()
    assert pid == os.getpid()
