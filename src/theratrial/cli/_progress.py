"""A transient Rich progress bar handed to science code as a callback (private)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import Progress

from theratrial.cli._common import err_console

__all__ = ["progress_callback"]


@contextmanager
def progress_callback(
    enabled: bool, description: str
) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a ``progress(done, total)`` callback drawing on stderr, or None when disabled."""
    if not enabled:
        yield None
        return
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=None)

        def callback(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield callback
