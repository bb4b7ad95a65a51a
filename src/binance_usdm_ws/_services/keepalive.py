"""Keep listenKeys alive for as long as the program runs.

A listenKey lives 60 minutes after its last ``userDataStream.start`` or
``ping``. :class:`KeepaliveFleet` keeps the keys of any number of API keys
alive over one client connection; :class:`Keepalive` is the one-key case.

One scheduler task does everything, so the fleet costs one task however many
keys it holds:

- each key is started (or its active key adopted), then pinged every
  ``interval`` (jittered, and never later than the key's validity minus
  ``safety_margin``); the first pings are spread evenly over the interval so
  that a large fleet renews at a steady rate;
- requests are paced by the client's rate limiter
  (:class:`~binance_usdm_ws._core.ratelimit.RateLimiter`, which reads the
  ``rateLimits`` the server reports): the fleet sends only while the
  REQUEST_WEIGHT used this minute is under ``weight_budget`` of the limit,
  leaving the rest to the program's other requests;
- -1125 (the key is gone: expired, deleted, or the server forgot it) starts a
  new key and reports it (:class:`ListenKeyRecreated`); a transient failure
  (timeout, lost connection, 5xx, 429) is retried with backoff, early enough
  that the key cannot expire in between; anything else (invalid API key,
  418, other 4xx) is fatal for that key: it is reported and the key is
  dropped, never retried in a loop.

Every change is reported as a typed event, to ``on_event`` and to every
iterator from :meth:`KeepaliveFleet.events`, so the consumer of the user data
stream learns when it must reconnect with a new key.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence

import attrs

from .._core.backoff import Backoff
from .._core.log import logger
from .._generated.methods import METHODS
from .._io.tasks import cancel_and_wait
from ..errors import (
    ApiError,
    BinanceWsError,
    ConnectionClosedError,
    ListenKeyNotFoundError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    redact,
)
from . import ServiceHost

__all__ = [
    "DEFAULT_INTERVAL",
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
"""Seconds between pings of one key, by default."""
DEFAULT_SAFETY_MARGIN = 5 * 60.0
"""A key is pinged at least this long before it would expire, by default."""

_COALESCE = 1.0  # seconds: renewals due this close together share one wake-up

_WEIGHT = max(
    int(METHODS[name].weight)  # all three are documented with weight 1
    for name in ("userDataStream.start", "userDataStream.ping")
)


# -- events --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class KeepaliveEvent:
    """Something that happened to one API key's listenKey."""

    api_key: str = attrs.field(repr=redact)
    """The API key (shown redacted)."""
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
    """The key the failure concerns, if the API key had one."""


@attrs.frozen(kw_only=True)
class ListenKeyStopped(KeepaliveEvent):
    """The service no longer keeps this key alive."""

    listen_key: str | None
    closed: bool
    """True when the key was closed with ``userDataStream.stop``."""
    error: BinanceWsError | None = None
    """The fatal error that stopped it, if any."""


# -- the service ---------------------------------------------------------------------------


@attrs.define(eq=False)
class _Key:
    api_key: str
    listen_key: str | None = None
    previous: str | None = None
    expires_at: float = -math.inf
    failures: int = 0
    first_ping_fraction: float = 1.0
    error: BinanceWsError | None = None
    done: bool = False
    started: bool = False


class _Subscription:
    """One ``events()`` iterator's queue."""

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[KeepaliveEvent | None] = asyncio.Queue(maxsize)
        self.dropped = 0


def is_transient(error: BinanceWsError) -> bool:
    """Whether a failed start, ping or stream connection is worth trying again."""
    if isinstance(error, (RequestTimeoutError, ConnectionClosedError, ProtocolError)):
        return True
    return isinstance(error, (ServerError, RateLimitedError)) or (
        isinstance(error, ApiError) and error.status == 408
    )


class KeepaliveFleet:
    """Keeps the listenKeys of many API keys alive over one client.

    Create it with :meth:`AsyncClient.keepalive_fleet
    <binance_usdm_ws.AsyncClient.keepalive_fleet>` and use it as an async
    context manager (or call :meth:`start` and :meth:`stop`). On exit, every
    key is closed with ``userDataStream.stop`` unless ``keep_keys=True``.

    Args:
        client: the client to send requests with.
        api_keys: the API keys whose listenKeys to keep alive.
        interval: seconds between pings of one key (default 30 minutes).
        jitter: each interval is multiplied by a random factor in
            ``1 ± jitter``.
        safety_margin: a key is pinged at least this long before it would
            expire, whatever ``interval`` says.
        weight_budget: the share of the REQUEST_WEIGHT limit per minute the
            fleet may use (default half).
        concurrency: requests in flight at once.
        keep_keys: on exit, leave the keys open instead of closing them.
        on_event: called with every event, synchronously; exceptions it
            raises are logged and ignored.
        backoff: retry delays after transient failures.
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
        if not 0 < interval <= LISTEN_KEY_VALIDITY - safety_margin:
            raise ValueError(
                f"interval must be positive and at most {LISTEN_KEY_VALIDITY - safety_margin:g} s "
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
        self._interval = interval
        self._jitter = jitter
        self._ceiling = LISTEN_KEY_VALIDITY - safety_margin
        self._weight_budget = weight_budget
        self._concurrency = concurrency
        self._keep_keys = keep_keys
        self._on_event = on_event
        self._backoff = backoff or Backoff(1.0, 60.0, rng=rng)
        self._rng = rng
        self._keys = {
            k: _Key(k, first_ping_fraction=(i + 1) / len(keys)) for i, k in enumerate(keys)
        }
        self._due: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._entry: dict[str, int] = {}
        self._subscriptions: list[_Subscription] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._unstarted = len(keys)
        self._limiter = client.rate_limiter
        now = self._clock.time()
        for key in keys:
            self._schedule(key, now)

    def __repr__(self) -> str:
        alive = sum(1 for k in self._keys.values() if k.listen_key and not k.done)
        return f"{type(self).__name__}({len(self._keys)} API keys, {alive} alive)"

    # -- public ----------------------------------------------------------------------------

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
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="binance_usdm_ws keepalive"
            )

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
        for chunk in _chunks(alive, self._concurrency):
            await asyncio.gather(*(self._finish(k) for k in chunk))
        self._ready.set()
        for subscription in self._subscriptions:
            self._put(subscription, None)
        self._subscriptions.clear()

    def events(self, *, maxsize: int = 100_000) -> AsyncIterator[KeepaliveEvent]:
        """Iterate over the events from now on; the iteration ends when the service stops.

        Each call returns an independent iterator. When an iterator falls
        ``maxsize`` events behind, the oldest events are dropped with a
        warning in the log.
        """
        subscription = _Subscription(maxsize)
        self._subscriptions.append(subscription)
        return self._iterate(subscription)

    async def __aenter__(self) -> KeepaliveFleet:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- scheduling ------------------------------------------------------------------------

    def _schedule(self, api_key: str, when: float) -> None:
        seq = next(self._seq)
        self._entry[api_key] = seq
        heapq.heappush(self._due, (when, seq, api_key))

    def _pop_due(self, now: float, limit: int) -> list[_Key]:
        batch: list[_Key] = []
        while self._due and len(batch) < limit:
            when, seq, api_key = self._due[0]
            if self._entry.get(api_key) != seq:
                heapq.heappop(self._due)  # superseded
                continue
            if when > now:
                break
            heapq.heappop(self._due)
            del self._entry[api_key]
            batch.append(self._keys[api_key])
        return batch

    def _next_due(self) -> float | None:
        while self._due:
            when, seq, api_key = self._due[0]
            if self._entry.get(api_key) == seq:
                return when
            heapq.heappop(self._due)
        return None

    async def _run(self) -> None:
        clock, limiter = self._clock, self._limiter
        while True:
            now = clock.time()
            next_due = self._next_due()
            if next_due is None:
                return  # every key failed fatally
            if next_due > now + _COALESCE:
                await clock.sleep(next_due - now)
                continue
            room, more_at = limiter.available("REQUEST_WEIGHT", self._weight_budget)
            allowance = min(room, self._concurrency)
            if allowance < _WEIGHT:
                await clock.sleep(more_at - now)
                continue
            # Keys due within _COALESCE go in this batch: a moment early, one wake-up less.
            batch = self._pop_due(now + _COALESCE, allowance // _WEIGHT)
            await asyncio.gather(*(self._service(key) for key in batch))
            if self._unstarted == 0:
                self._ready.set()

    async def _service(self, key: _Key) -> None:
        """One start or ping for ``key``; reschedules it or drops it."""
        client = self._client
        listen_key = key.listen_key
        try:
            if listen_key is None:
                reply = await client.user_data_stream.start(api_key=key.api_key)
                new_key = reply.result.listen_key
            else:
                pong = await client.user_data_stream.ping(api_key=key.api_key)
                new_key = pong.result.listen_key
        except ListenKeyNotFoundError:
            logger.info("listenKey of %s is gone; starting a new one", redact(key.api_key))
            key.previous, key.listen_key = key.listen_key or key.previous, None
            self._schedule(key.api_key, self._clock.time())
            return
        except BinanceWsError as error:
            self._failed(key, error)
            return
        now = self._clock.time()
        key.failures = 0
        key.expires_at = now + LISTEN_KEY_VALIDITY
        key.listen_key = new_key
        if not key.started:
            key.started = True
            self._unstarted -= 1
            delay = self._interval * key.first_ping_fraction
            self._emit(
                ListenKeyStarted(
                    api_key=key.api_key, at=now, listen_key=new_key, expires_at=key.expires_at
                )
            )
        else:
            delay = self._interval * (1 + self._jitter * (2 * self._rng() - 1))
            old = listen_key or key.previous
            if old is not None and old != new_key:
                reason = "the key was gone" if listen_key is None else "the server returned another"
                logger.info("listenKey of %s recreated (%s)", redact(key.api_key), reason)
                self._emit(
                    ListenKeyRecreated(
                        api_key=key.api_key,
                        at=now,
                        old_listen_key=old,
                        listen_key=new_key,
                        expires_at=key.expires_at,
                        reason=reason,
                    )
                )
            else:
                self._emit(
                    ListenKeyRenewed(
                        api_key=key.api_key, at=now, listen_key=new_key, expires_at=key.expires_at
                    )
                )
        key.previous = None
        self._schedule(key.api_key, now + min(delay, self._ceiling))

    def _failed(self, key: _Key, error: BinanceWsError) -> None:
        now = self._clock.time()
        if not is_transient(error):
            logger.error("keepalive of %s stopped: %s", redact(key.api_key), error)
            key.done, key.error = True, error
            if not key.started:
                key.started = True
                self._unstarted -= 1
            self._emit(
                ListenKeyRenewalFailed(
                    api_key=key.api_key,
                    at=now,
                    error=error,
                    fatal=True,
                    retry_in=None,
                    listen_key=key.listen_key,
                )
            )
            self._emit(
                ListenKeyStopped(
                    api_key=key.api_key,
                    at=now,
                    listen_key=key.listen_key,
                    closed=False,
                    error=error,
                )
            )
            return
        delay = self._backoff.delay(key.failures)
        key.failures += 1
        if key.expires_at > now:
            # Retry early enough that the key cannot expire in between.
            delay = min(delay, max(1.0, (key.expires_at - now) / 4))
        if isinstance(error, RateLimitedError):
            # Not before the pause the client's limiter took from it (retryAfter, or the
            # next minute): every request of the fleet waits for that too.
            delay = max(delay, self._limiter.resume_at() - now)
        logger.warning(
            "renewing the listenKey of %s failed, retry in %.1f s: %s",
            redact(key.api_key),
            delay,
            error,
        )
        self._emit(
            ListenKeyRenewalFailed(
                api_key=key.api_key,
                at=now,
                error=error,
                fatal=False,
                retry_in=delay,
                listen_key=key.listen_key,
            )
        )
        self._schedule(key.api_key, now + delay)

    async def _finish(self, key: _Key) -> None:
        closed = False
        if key.listen_key is not None and not self._keep_keys:
            try:
                await self._client.user_data_stream.stop(api_key=key.api_key)
                closed = True
            except BinanceWsError as error:
                logger.warning("closing the listenKey of %s failed: %s", redact(key.api_key), error)
        key.done = True
        self._emit(
            ListenKeyStopped(
                api_key=key.api_key, at=self._clock.time(), listen_key=key.listen_key, closed=closed
            )
        )
        if closed:
            key.listen_key = None

    # -- events ----------------------------------------------------------------------------

    def _emit(self, event: KeepaliveEvent) -> None:
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                logger.exception("the keepalive on_event callback failed")
        for subscription in self._subscriptions:
            self._put(subscription, event)

    @staticmethod
    def _put(subscription: _Subscription, event: KeepaliveEvent | None) -> None:
        queue = subscription.queue
        if queue.full():
            queue.get_nowait()
            subscription.dropped += 1
            logger.warning(
                "a keepalive events() iterator is %d events behind; dropped the oldest",
                queue.maxsize,
            )
        queue.put_nowait(event)

    async def _iterate(self, subscription: _Subscription) -> AsyncIterator[KeepaliveEvent]:
        try:
            while True:
                event = await subscription.queue.get()
                if event is None:
                    return
                yield event
        finally:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)


class Keepalive(KeepaliveFleet):
    """Keeps one API key's listenKey alive; see :class:`KeepaliveFleet` for the behaviour.

    ``async with client.keepalive() as keepalive:`` returns once the key is
    started, so :attr:`listen_key` is set; it raises the error if the first
    start fails fatally (e.g. an invalid API key).
    """

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


def _chunks(items: Sequence[_Key], size: int) -> Iterable[Sequence[_Key]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
