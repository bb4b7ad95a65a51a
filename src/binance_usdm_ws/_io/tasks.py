"""Task helpers shared by the long-running parts (supervisor, keepalive, user stream)."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (if any) and wait for it to end.

    Its cancellation is swallowed; an exception it ended with is raised.
    """
    if task is None:
        return
    task.cancel()  # a no-op on a task that is done
    try:
        await task
    except asyncio.CancelledError:
        pass
