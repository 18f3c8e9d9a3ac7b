"""Progress of a running study on stderr: one live line on a terminal, one line
per finished run otherwise (log files, CI). No dependency needed."""
from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """``total`` runs, of which ``done_before`` finished in an earlier session."""

    def __init__(self, total: int, done_before: int = 0, stream=None, enabled: bool = True):
        self.total, self.done_before = total, done_before
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.live = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.success = self.failed = self.running = 0
        self.started = time.monotonic()
        self._width = 0

    @property
    def done(self) -> int:
        return self.done_before + self.success + self.failed

    def _line(self) -> str:
        elapsed = time.monotonic() - self.started
        finished_now = self.success + self.failed
        left = self.total - self.done
        eta = f", ~{_clock(elapsed / finished_now * left)} left" if finished_now and left else ""
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        return (f"study [{bar}] {self.done}/{self.total} runs ({self.failed} failed), "
                f"{self.running} running, {_clock(elapsed)}{eta}")

    def _show(self) -> None:
        line = self._line()
        pad = max(0, self._width - len(line))
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self._width = len(line)

    def set_running(self, n: int) -> None:
        self.running = n
        if self.live:
            self._show()

    def run_finished(self, run_id: int, status: str, detail: str, message: str = "") -> None:
        if status == "success":
            self.success += 1
        else:
            self.failed += 1
        if not self.enabled:
            return
        text = f"[{self.done:>{len(str(self.total))}}/{self.total}] run {run_id} {status} {detail}"
        if message and status != "success":
            text += f": {message.splitlines()[0]}"
        if self.live:
            if status != "success":  # failures stay on screen above the live line
                self.stream.write("\r" + text.ljust(self._width) + "\n")
            self._show()
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
