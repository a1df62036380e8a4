"""Progress a person can read: one line per finished step of a long command, on stderr.

    with progress.steps("demo", total=21) as run:
        run("hanoi-master-features-gold 2026-09-02..2026-11-01", invoke, name, ctx, argv)

prints ``[7/21] hanoi-master-features-gold 2026-09-02..2026-11-01 … 12.0 s`` when the step ends.
When stderr is a terminal, a bar (rich) shows the running step, the steps done and an estimate of
the time left (from the mean time of the steps done so far) under those lines; otherwise (CI, a
pipe) the lines are plain text, without animation.

Lines are printed only in the human log mode (:func:`ais.jsonlog.human_mode`); every step also
logs ``step_done`` (or ``step_failed``) as JSON. Only the outermost :func:`steps` prints: a
command that runs inside another one's step (training inside ``ais demo``) stays quiet on stderr.
Results never go to stderr: stdout keeps its one JSON document.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ais.jsonlog import get_logger, human_mode

T = TypeVar("T")
log = get_logger("progress")
_active: list[Steps] = []


def format_line(index: int, total: int | None, label: str, seconds: float, failed: bool = False) -> str:
    """``[7/21] label … 12.0 s`` (``[7]`` when the total is not known; ``failed after`` on failure)."""
    counter = f"[{index}/{total}]" if total else f"[{index}]"
    return f"{counter} {label} … {'failed after ' if failed else ''}{seconds:.1f} s"


def echo(line: str) -> None:
    """One human line on stderr, above the bar when one is showing."""
    for steps_ in _active:
        if steps_.bar is not None:
            steps_.bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
            return
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class Steps:
    """The numbered steps of one command. Call it with a label and a function to run one step."""

    def __init__(self, title: str, total: int | None, show: bool, animate: bool) -> None:
        self.title = title
        self.total = total
        self.show = show
        self.done = 0
        self.seconds: dict[str, float] = {}
        self.bar: Any = None
        self._task: Any = None
        if show and animate:
            self._start_bar()

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}", markup=False),
                              BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                              TextColumn("{task.fields[eta]}", markup=False)]
        self.bar = Progress(*columns, console=Console(stderr=True), transient=True)
        self._task = self.bar.add_task(self.title, total=self.total, eta="")
        self.bar.start()

    def eta_text(self) -> str:
        """``~1 min 20 s left``: the mean time of the steps done times the steps left."""
        if not self.total or not self.done:
            return ""
        left = (sum(self.seconds.values()) / self.done) * (self.total - self.done)
        minutes, secs = divmod(round(left), 60)
        return f"~{minutes} min {secs} s left" if minutes else f"~{secs} s left"

    def __call__(self, label: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` as the next step; its result."""
        with self.step(label):
            return fn(*args, **kwargs)

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """The body of the ``with`` block as the next step."""
        index = self.done + 1
        if self.bar is not None:
            counter = f"[{index}/{self.total}]" if self.total else f"[{index}]"
            self.bar.update(self._task, description=f"{counter} {label}")
        t0 = time.monotonic()
        try:
            yield
        except BaseException:
            seconds = time.monotonic() - t0
            log.error("step_failed", command=self.title, step=label, index=index, total=self.total,
                      seconds=round(seconds, 2))
            if self.show:
                echo(format_line(index, self.total, label, seconds, failed=True))
            raise
        seconds = time.monotonic() - t0
        self.done = index
        self.seconds[label] = round(seconds, 2)
        log.info("step_done", command=self.title, step=label, index=index, total=self.total,
                 seconds=round(seconds, 2))
        if self.show:
            echo(format_line(index, self.total, label, seconds))
        if self.bar is not None:
            self.bar.update(self._task, completed=self.done, eta=self.eta_text())

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@contextmanager
def steps(title: str, total: int | None = None) -> Iterator[Steps]:
    """A numbered run of ``total`` steps (None: not known). Prints only when it is the outermost
    run and the log mode is human; animates only when stderr is a terminal."""
    show = human_mode() and not _active
    run = Steps(title, total, show, animate=show and sys.stderr.isatty())
    _active.append(run)
    try:
        yield run
    finally:
        _active.remove(run)
        run.close()
