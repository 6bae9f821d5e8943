"""Long jobs (running the planner for a commune) in a background thread, with progress for polling."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tinhgon.reliability import auditlog

Work = Callable[["Job"], Any]


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    title: str
    status: str = "queued"          # queued | running | done | failed
    progress: float = 0.0           # 0..1
    message: str = ""
    result: Any = None
    error: str | None = None
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def report(self, fraction: float, message: str | None = None) -> None:
        self.progress = max(0.0, min(1.0, fraction))
        if message is not None:
            self.message = message


class JobRegistry:
    """In-memory: a job belongs to this server process (a restart forgets unfinished jobs)."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tinhgon-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, owner: str, title: str, work: Work) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], kind=kind, owner=owner, title=title)
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Work) -> None:
        job.status = "running"
        try:
            # the job's writes are the account's who started it, in the audit log
            with auditlog.acting_as(job.owner, f"web: {job.kind}"):
                job.result = work(job)
            job.progress = 1.0
            job.status = "done"
        except Exception as exc:  # the message reaches the page; the job must not kill the pool
            job.error = str(exc) or type(exc).__name__
            job.status = "failed"

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """For tests and scripts: block until the job ends."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)
