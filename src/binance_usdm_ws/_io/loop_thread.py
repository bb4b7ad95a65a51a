"""An asyncio event loop running in a thread of its own, for blocking callers."""

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread"]
T = TypeVar("T")


class LoopThread:
    """Runs coroutines on a private event loop in a daemon thread, independent of any loop
    the caller runs: a blocking facade on it works from scripts, notebooks and threads."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (no-op while it runs)."""
        with self._lock:
            if not self.running:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and block until it returns (or raises)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            coroutine.close()
            raise RuntimeError(f"{self._name} is not running")
        if threading.current_thread() is thread:
            coroutine.close()
            raise RuntimeError(f"a blocking call from inside {self._name} would deadlock")
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except BaseException:  # KeyboardInterrupt included: do not leave the call running
            if not future.done():
                future.cancel()
                with contextlib.suppress(Exception):  # cancelled, timed out or failed
                    future.result(timeout=5)
            raise

    def stop(self) -> None:
        """Stop the loop and wait for the thread (no-op when not running)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
