"""Keep listenKeys (valid 60 minutes after their last start or ping) alive: each is started, then
pinged every ``interval`` (first pings spread over it) within the rate limit. -1125 (key gone)
starts a new key; a transient failure is retried before the key can expire; other errors drop it."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TypeAlias

import attrs

from .. import errors
from .._core.backoff import Backoff
from .._core.log import logger
from .._generated.methods import METHODS
from .._io.tasks import cancel_and_wait
from ..errors import BinanceWsError, ListenKeyNotFoundError, RateLimitedError, redact
from . import ServiceHost

__all__ = [
    "LISTEN_KEY_VALIDITY",
    "Keepalive",
    "KeepaliveEvent",
    "KeepaliveFleet",
    "ListenKeyRecreated",
    "ListenKeyRenewalFailed",
    "ListenKeyRenewed",
    "ListenKeyStarted",
    "ListenKeyStopped",
]

LISTEN_KEY_VALIDITY = 60 * 60.0
"""Seconds a listenKey stays valid after its last start or ping."""
DEFAULT_INTERVAL = 30 * 60.0
DEFAULT_SAFETY_MARGIN = 5 * 60.0

_COALESCE = 1.0  # seconds: renewals due this close together share one wake-up
_Queue: TypeAlias = "asyncio.Queue[KeepaliveEvent | None]"
_WEIGHT = max(int(METHODS[n].weight) for n in ("userDataStream.start", "userDataStream.ping"))


@attrs.frozen(kw_only=True)
class KeepaliveEvent:
    """Something that happened to one API key's listenKey."""

    api_key: str = attrs.field(repr=redact)
    at: float
    """When, in the client clock's epoch seconds."""


@attrs.frozen(kw_only=True)
class ListenKeyStarted(KeepaliveEvent):
    """The key was started (or the API key's active key adopted) when the service began."""

    listen_key: str
    expires_at: float
    """Estimated end of validity (epoch seconds), if not renewed."""


@attrs.frozen(kw_only=True)
class ListenKeyRenewed(KeepaliveEvent):
    """A ping extended the key's validity."""

    listen_key: str
    expires_at: float


@attrs.frozen(kw_only=True)
class ListenKeyRecreated(KeepaliveEvent):
    """The old key is gone and a new one replaces it: reconnect the user data stream."""

    old_listen_key: str
    listen_key: str
    expires_at: float
    reason: str


@attrs.frozen(kw_only=True)
class ListenKeyRenewalFailed(KeepaliveEvent):
    """A start or ping failed. Unless ``fatal``, it is retried in ``retry_in`` seconds."""

    error: BinanceWsError
    fatal: bool
    retry_in: float | None
    listen_key: str | None


@attrs.frozen(kw_only=True)
class ListenKeyStopped(KeepaliveEvent):
    """The service no longer keeps this key alive."""

    listen_key: str | None
    closed: bool
    """True when the key was closed with ``userDataStream.stop``."""
    error: BinanceWsError | None = None


@attrs.define(eq=False)
class _Key:
    api_key: str
    first_ping_fraction: float  # of the interval: spreads the first pings evenly
    listen_key: str | None = None
    previous: str | None = None  # the key that was gone, until its successor starts
    expires_at: float = -math.inf
    failures: int = 0
    error: BinanceWsError | None = None
    done: bool = False


def is_transient(error: BinanceWsError) -> bool:
    """Whether a failed start, ping or stream connection is worth trying again."""
    if isinstance(error, errors.ApiError):
        return isinstance(error, (errors.ServerError, RateLimitedError)) or error.status == 408
    transient = (errors.RequestTimeoutError, errors.ConnectionClosedError, errors.ProtocolError)
    return isinstance(error, transient)


class KeepaliveFleet:
    """Keeps the listenKeys of many API keys alive over one client.

    Made by :meth:`AsyncClient.keepalive_fleet <binance_usdm_ws.AsyncClient.keepalive_fleet>`;
    use ``async with`` (or :meth:`start` and :meth:`stop`). A bad option raises ``ValueError``.

    Args:
        interval, jitter: seconds between pings of one key, each times a random ``1 ± jitter``.
        safety_margin: a key is pinged at least this long before it would expire.
        weight_budget: the share of the REQUEST_WEIGHT limit per minute the fleet may use.
        concurrency: requests in flight at once.
        keep_keys: on exit, leave the keys open instead of closing them.
        on_event: called with every event, synchronously; its exceptions are logged.
        backoff, rng: retry delays after transient failures; randomness for jitter and backoff.
    """

    def __init__(
        self,
        client: ServiceHost,
        api_keys: Iterable[str],
        *,
        interval: float = DEFAULT_INTERVAL,
        jitter: float = 0.1,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
        weight_budget: float = 0.5,
        concurrency: int = 32,
        keep_keys: bool = False,
        on_event: Callable[[KeepaliveEvent], object] | None = None,
        backoff: Backoff | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        keys = list(dict.fromkeys(api_keys))
        if not keys:
            raise ValueError("no API keys to keep alive")
        if not all(isinstance(k, str) and k for k in keys):
            raise ValueError("API keys must be non-empty strings")
        if not 0 < safety_margin < LISTEN_KEY_VALIDITY:
            raise ValueError("safety_margin must be between 0 and 3600 seconds")
        self._ceiling = LISTEN_KEY_VALIDITY - safety_margin
        if not 0 < interval <= self._ceiling:
            raise ValueError(
                f"interval must be positive and at most {self._ceiling:g} s "
                "(the key's 60-minute validity minus the safety margin)"
            )
        if not 0 <= jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if not 0 < weight_budget <= 1:
            raise ValueError("weight_budget must be in (0, 1]")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._client = client
        self._clock = client.clock
        self._limiter = client.rate_limiter
        self._interval = interval
        self._jitter = jitter
        self._weight_budget = weight_budget
        self._concurrency = concurrency
        self._keep_keys = keep_keys
        self._on_event = on_event
        self._backoff = backoff or Backoff(1.0, 60.0, rng=rng)
        self._rng = rng
        self._keys = {k: _Key(k, (i + 1) / len(keys)) for i, k in enumerate(keys)}
        self._unstarted = set(self._keys.values())
        # (when, seq, key): every key is due now; a sorted list is a heap.
        now = self._clock.time()
        self._due = [(now, i, key) for i, key in enumerate(self._keys.values())]
        self._seq = itertools.count(len(keys))
        self._subscriptions: list[_Queue] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self._keys)} API keys, {len(self.listen_keys)} alive)"

    @property
    def listen_keys(self) -> Mapping[str, str]:
        """The current listenKey of every API key that has one."""
        return {k.api_key: k.listen_key for k in self._keys.values() if k.listen_key and not k.done}

    @property
    def failed(self) -> Mapping[str, BinanceWsError]:
        """The API keys dropped after a fatal error, with the error."""
        return {k.api_key: k.error for k in self._keys.values() if k.done and k.error is not None}

    @property
    def running(self) -> bool:
        """True while the scheduler runs."""
        return self._task is not None and not self._task.done()

    def listen_key_of(self, api_key: str) -> str | None:
        """The current listenKey of ``api_key``, or ``None``."""
        key = self._keys.get(api_key)
        return key.listen_key if key is not None and not key.done else None

    def start(self) -> None:
        """Start the scheduler (no-op if it runs)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="binance_usdm_ws keepalive")

    async def ready(self) -> None:
        """Wait until every API key has a listenKey or has failed fatally."""
        await self._ready.wait()

    async def wait(self) -> None:
        """Wait until the scheduler ends: every key failed fatally, or :meth:`stop` was called."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Stop renewing; close every key unless ``keep_keys``; report :class:`ListenKeyStopped`."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        alive = [k for k in self._keys.values() if not k.done]
        for i in range(0, len(alive), self._concurrency):
            await asyncio.gather(*(self._finish(k) for k in alive[i : i + self._concurrency]))
        self._ready.set()
        self._emit(None)
        self._subscriptions.clear()

    def events(self, *, maxsize: int = 100_000) -> AsyncIterator[KeepaliveEvent]:
        """Iterate over the events from now on, until the service stops. Each call returns an
        independent iterator; one ``maxsize`` events behind loses the oldest (logged)."""
        queue: _Queue = asyncio.Queue(maxsize)
        self._subscriptions.append(queue)
        return self._iterate(queue)

    async def __aenter__(self) -> KeepaliveFleet:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _schedule(self, key: _Key, when: float) -> None:
        heapq.heappush(self._due, (when, next(self._seq), key))

    async def _run(self) -> None:
        while self._due:  # empty once every key failed fatally
            now = self._clock.time()
            if self._due[0][0] > now + _COALESCE:
                await self._clock.sleep(self._due[0][0] - now)
                continue
            room, more_at = self._limiter.available("REQUEST_WEIGHT", self._weight_budget)
            limit = min(room, self._concurrency) // _WEIGHT
            if limit < 1:
                await self._clock.sleep(more_at - now)
                continue
            batch: list[_Key] = []
            while len(batch) < limit and self._due and self._due[0][0] <= now + _COALESCE:
                batch.append(heapq.heappop(self._due)[2])
            await asyncio.gather(*(self._service(key) for key in batch))
            if not self._unstarted:
                self._ready.set()

    async def _service(self, key: _Key) -> None:
        requests, listen_key = self._client.user_data_stream, key.listen_key
        try:
            if listen_key is None:
                new_key = (await requests.start(api_key=key.api_key)).result.listen_key
            else:
                new_key = (await requests.ping(api_key=key.api_key)).result.listen_key
        except ListenKeyNotFoundError:
            logger.info("listenKey of %s is gone; starting a new one", redact(key.api_key))
            key.previous, key.listen_key = key.listen_key or key.previous, None
            self._schedule(key, self._clock.time())
            return
        except BinanceWsError as error:
            self._failed(key, error)
            return
        now = self._clock.time()
        old, key.previous = listen_key or key.previous, None
        key.failures, key.listen_key = 0, new_key
        key.expires_at = now + LISTEN_KEY_VALIDITY
        kind: type[ListenKeyStarted | ListenKeyRenewed] = ListenKeyRenewed
        if key in self._unstarted:
            self._unstarted.remove(key)
            kind, delay = ListenKeyStarted, self._interval * key.first_ping_fraction
        else:
            delay = self._interval * (1 + self._jitter * (2 * self._rng() - 1))
        event: KeepaliveEvent = kind(
            api_key=key.api_key, at=now, listen_key=new_key, expires_at=key.expires_at
        )
        if old is not None and old != new_key:  # never for a key's first start
            reason = "the key was gone" if listen_key is None else "the server returned another"
            logger.info("listenKey of %s recreated (%s)", redact(key.api_key), reason)
            event = ListenKeyRecreated(**attrs.asdict(event), old_listen_key=old, reason=reason)
        self._emit(event)
        self._schedule(key, now + min(delay, self._ceiling))

    def _failed(self, key: _Key, error: BinanceWsError) -> None:
        now, fatal, name = self._clock.time(), not is_transient(error), redact(key.api_key)
        retry_in: float | None = None
        if fatal:
            logger.error("keepalive of %s stopped: %s", name, error)
            key.done, key.error = True, error
            self._unstarted.discard(key)
        else:
            retry_in = self._backoff.delay(key.failures)
            key.failures += 1
            if key.expires_at > now:  # early enough that the key cannot expire in between
                retry_in = min(retry_in, max(1.0, (key.expires_at - now) / 4))
            if isinstance(error, RateLimitedError):  # not before the limiter's pause ends
                retry_in = max(retry_in, self._limiter.resume_at() - now)
            logger.warning(
                "renewing the listenKey of %s failed, retry in %.1f s: %s", name, retry_in, error
            )
            self._schedule(key, now + retry_in)
        failed = ListenKeyRenewalFailed(
            api_key=key.api_key,
            at=now,
            listen_key=key.listen_key,
            error=error,
            fatal=fatal,
            retry_in=retry_in,
        )
        self._emit(failed)
        if fatal:
            stopped = ListenKeyStopped(
                api_key=key.api_key, at=now, listen_key=key.listen_key, closed=False, error=error
            )
            self._emit(stopped)

    async def _finish(self, key: _Key) -> None:
        closed = False
        if key.listen_key is not None and not self._keep_keys:
            try:
                await self._client.user_data_stream.stop(api_key=key.api_key)
                closed = True
            except BinanceWsError as error:
                logger.warning("closing the listenKey of %s failed: %s", redact(key.api_key), error)
        key.done = True
        stopped = ListenKeyStopped(
            api_key=key.api_key, at=self._clock.time(), listen_key=key.listen_key, closed=closed
        )
        self._emit(stopped)
        if closed:
            key.listen_key = None

    def _emit(self, event: KeepaliveEvent | None) -> None:
        if event is not None and self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                logger.exception("the keepalive on_event callback failed")
        for queue in self._subscriptions:
            if queue.full():
                queue.get_nowait()
                logger.warning(
                    "a keepalive events() iterator is %d events behind; dropped the oldest",
                    queue.maxsize,
                )
            queue.put_nowait(event)

    async def _iterate(self, queue: _Queue) -> AsyncIterator[KeepaliveEvent]:
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            if queue in self._subscriptions:
                self._subscriptions.remove(queue)


class Keepalive(KeepaliveFleet):
    """Keeps one API key's listenKey alive, as :class:`KeepaliveFleet` does. ``async with``
    returns once the key is started (:attr:`listen_key` is set), or raises the error if the first
    start fails fatally (e.g. an invalid API key)."""

    def __init__(
        self,
        client: ServiceHost,
        api_key: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        jitter: float = 0.1,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
        keep_keys: bool = False,
        on_event: Callable[[KeepaliveEvent], object] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(
            client,
            [api_key],
            interval=interval,
            jitter=jitter,
            safety_margin=safety_margin,
            keep_keys=keep_keys,
            on_event=on_event,
            backoff=backoff,
        )
        self._api_key = api_key

    @property
    def api_key(self) -> str:
        """The API key whose listenKey is kept alive."""
        return self._api_key

    @property
    def listen_key(self) -> str | None:
        """The current listenKey, or ``None`` once stopped or failed."""
        return self.listen_key_of(self._api_key)

    @property
    def error(self) -> BinanceWsError | None:
        """The fatal error that stopped the service, if any."""
        return self.failed.get(self._api_key)

    async def __aenter__(self) -> Keepalive:
        self.start()
        assert self._task is not None
        ready = asyncio.ensure_future(self.ready())
        await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._task.done() and not self._task.cancelled() and self._task.exception():
            await self.stop()  # the scheduler crashed: a bug; surface it
        if self.error is not None:
            await self.stop()
            raise self.error
        return self

    async def wait(self) -> None:
        """Wait until the service ends; raise its fatal error if it had one."""
        await super().wait()
        if self.error is not None:
            raise self.error
