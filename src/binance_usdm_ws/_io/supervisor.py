"""Keeps one connection open for the client: dials, re-dials (with backoff), rotates."""

import asyncio
from collections.abc import Callable

from .._core.backoff import Backoff
from .._core.clock import Clock
from .._core.log import logger
from ..errors import ConnectionClosedError
from .connection import Connection, ConnectOptions
from .tasks import cancel_and_wait

__all__ = ["Supervisor"]


class Supervisor:
    """Owns the client's connection. Before ``max_age`` (the server ends connections at 24 h)
    a new connection takes the new calls and the old one closes once its calls are answered
    (or after ``drain_timeout``). Calls wait while it re-dials, up to their own timeout.
    ``on_open`` is called with each new connection before calls may use it."""

    def __init__(
        self,
        url: str,
        connect_options: ConnectOptions,
        clock: Clock,
        *,
        backoff: Backoff | None = None,
        max_age: float | None = 23 * 3600,
        drain_timeout: float = 30.0,
        on_open: Callable[[Connection], object] | None = None,
    ) -> None:
        self._url = url
        self._connect_options = connect_options
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._max_age = max_age
        self._drain_timeout = drain_timeout
        self._on_open = on_open
        self.latest: Connection | None = None
        """The newest connection (None before the first); unlike :attr:`current`, maybe closing."""
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_error: ConnectionClosedError | None = None
        self._draining: set[asyncio.Task[None]] = set()
        self.connections_opened = 0  # re-dials and rotations included
        self.closed = False
        """True after :meth:`close`, until :meth:`start`: calls then fail at once."""

    @property
    def current(self) -> Connection | None:
        """The open connection, if there is one (a closing one is not)."""
        return current if (current := self.latest) is not None and current.usable else None

    @property
    def running(self) -> bool:
        """True while the supervising task runs."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Open the first connection (raising if that fails), then keep one open."""
        self.closed = False
        if not self.running:
            await self._open()
            self.start_in_background()
        await self._ready.wait()

    def start_in_background(self) -> None:
        """Keep a connection open without waiting for the first one (lazy connect)."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(
                self._supervise(), name="binance_usdm_ws supervisor"
            )

    async def connection(self, timeout: float | None, method: str) -> Connection:
        """The open connection, waited for (starting the supervisor if not closed) up to
        ``timeout``; else raises :class:`ConnectionClosedError` (``sent=False``)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while (current := self.latest) is None or not current.usable:
            if not self.running:
                if self.closed:
                    raise ConnectionClosedError(f"{method}: the client is closed", sent=False)
                self.start_in_background()
            remaining = None if deadline is None else deadline - loop.time()
            try:
                if remaining is not None and remaining <= 0:
                    raise asyncio.TimeoutError
                if current is not None and not current.closed:  # closing: its end clears "ready"
                    await asyncio.wait_for(current.wait_closed(), remaining)
                else:
                    await asyncio.wait_for(self._ready.wait(), remaining)
            except asyncio.TimeoutError:
                last = f" (last attempt: {self._last_error})" if self._last_error else ""
                message = f"{method} was not sent: no connection within {timeout:.3g} s{last}"
                raise ConnectionClosedError(message, sent=False) from None
        return current

    async def close(self) -> None:
        """Stop re-dialling and close the connection."""
        self.closed = True
        task, self._task = self._task, None
        await cancel_and_wait(task)
        current, self.latest = self.latest, None
        self._ready.clear()
        if current is not None:
            await current.close()
        for drain in self._draining:  # cancel() runs no callback now: the set does not change
            drain.cancel()  # closes its connection now instead of after the drain
        await asyncio.gather(*self._draining, return_exceptions=True)

    def _ended(self, connection: Connection) -> None:  # before anything awaiting it resumes
        if connection is self.latest:
            self._ready.clear()

    async def _open(self) -> None:
        try:
            connection = await Connection.open(self._url, self._connect_options, self._ended)
        except ConnectionClosedError as exc:
            self._last_error = exc
            raise
        self.connections_opened += 1
        self.latest, self._last_error = connection, None
        if self._on_open is not None:
            self._on_open(connection)
        self._ready.set()

    async def _redial(self) -> None:
        attempt = 0
        while True:
            try:
                await self._open()
                break
            except ConnectionClosedError as exc:
                delay = self._backoff.delay(attempt)
                logger.warning("reconnecting in %.1f s: %s", delay, exc)
                attempt += 1
                await self._clock.sleep(delay)
        if attempt:
            logger.info("reconnected after %d failed attempts", attempt)

    async def _supervise(self) -> None:
        if self.current is None:
            await self._redial()
        while True:
            connection = self.latest
            assert connection is not None
            opened_at = self._clock.time()
            waiting = {asyncio.ensure_future(connection.wait_closed())}
            if self._max_age is not None:
                age_limit = self._clock.sleep(self._max_age, background=True)
                waiting.add(asyncio.ensure_future(age_limit))
            try:
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pending in waiting:
                    pending.cancel()
            if connection.closed:
                self._ready.clear()
                logger.warning("connection lost (%s); reconnecting", connection.close_reason)
                await self._redial()
                continue
            # Rotate: calls keep using the old connection until the new one is open.
            logger.info("replacing the connection after %.0f s", self._clock.time() - opened_at)
            await self._redial()
            drain = asyncio.get_running_loop().create_task(
                connection.close_when_idle(self._drain_timeout), name="binance_usdm_ws drain"
            )
            self._draining.add(drain)
            drain.add_done_callback(self._draining.discard)
