"""The lake's writer lock: one load (or vacuum) at a time, any number of readers.

An exclusive ``flock`` on ``_lock``. The kernel releases it when the holder's process ends,
however it ends, so a crashed load never leaves the lake locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from newretail.core.errors import LakeError

_POLL_SECONDS = 0.05


class WriterLock:
    """The exclusive writer lock on ``path`` (acquire with a timeout, release once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, timeout: float) -> None:
        """Take the lock, waiting up to ``timeout`` seconds; :class:`LakeError` if still held."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise LakeError(
                        f"the lake {self.path.parent} is locked by process {holder}",
                        key="lake.locked",
                        path=str(self.path.parent),
                        holder=holder,
                        seconds=timeout,
                    ) from None
                time.sleep(_POLL_SECONDS)
        # the holder's pid, for the message a waiting writer shows
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Release the lock (a no-op if it is not held)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _read_holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return text or "?"
