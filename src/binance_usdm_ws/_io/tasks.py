"""Task helpers shared by the long-running parts (supervisor, keepalive, user stream)."""

import asyncio
import contextlib
from typing import Any

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (if any) and wait for it to end; raise the exception it ended with,
    unless that is its cancellation."""
    if task is not None:
        task.cancel()  # a no-op on a task that is done
        with contextlib.suppress(asyncio.CancelledError):
            await task
