"""Entry point of the queue worker processes (production), for Dramatiq's own CLI:

    dramatiq genpire_app.backend.jobs.worker --processes 1 --threads 16

It needs the same environment as the web processes (``DATABASE_URL``, ``REFLEX_REDIS_URL`` or
``QUEUE_REDIS_URL``, ``STORAGE_BACKEND``/``S3_*``, ``SECRET_KEY``, provider keys). Importing this module
builds the Redis broker and declares the job actor, and lowers the process's CPU priority
(``WORKER_NICE``); every worker process also runs the recovery sweep.
"""

from __future__ import annotations

import logging
import os

from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs import queue

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

# Queue workers yield the CPU to web workers on a shared machine: CPU-bound jobs (rendering, tracing,
# PDF) then never delay a click (WORKER_NICE, default 10; 0 keeps the normal priority).
if get_settings().worker_nice:
    os.nice(get_settings().worker_nice)

#: The broker Dramatiq's CLI finds in this module.
broker = queue.broker()
