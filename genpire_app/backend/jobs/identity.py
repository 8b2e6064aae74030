"""Which process runs a job, and whether that process is still alive (DESIGN.md §7.1 sweep).

A worker id is ``host:pid:start-ticks``; the pid's start time guards against pid reuse. Liveness is known
only for processes on this host; elsewhere the recovery sweep relies on the job's heartbeat.
"""

from __future__ import annotations

import os
import socket
import uuid

HOSTNAME = socket.gethostname()


def _process_start_ticks(pid: int) -> str:
    """Start time of ``pid`` in clock ticks since boot (Linux), "" when unknown or not running."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            stat = fh.read()
    except OSError:
        return ""
    # Field 22 counts from after the parenthesised command name (which may contain spaces).
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


_cached: tuple[int, str] | None = None


def worker_id() -> str:
    """The identity of the current process (computed per pid, so forked workers get their own)."""
    global _cached
    pid = os.getpid()
    if _cached is None or _cached[0] != pid:
        _cached = (pid, f"{HOSTNAME}:{pid}:{_process_start_ticks(pid) or uuid.uuid4().hex[:8]}")
    return _cached[1]


def worker_alive(identity: str) -> bool | None:
    """Whether the process named by ``identity`` still runs: True/False on this host, None elsewhere."""
    try:
        host, pid_text, ticks = identity.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return None
    if host != HOSTNAME:
        return None
    if identity == worker_id():
        return True
    current = _process_start_ticks(pid)
    return bool(current) and current == ticks
