"""Client-side rate limiting: do not send what the server would answer with 429.

Binance counts each rate limit in fixed windows aligned to the clock:
REQUEST_WEIGHT per IP per minute; ORDERS per account per 10 seconds and per
minute. A :class:`RateLimiter` keeps one :class:`Window` per limit it knows,
and the limits are data (:class:`Limit`, :data:`DEFAULT_LIMITS`): a new
limit is a new row, not new code.

A window's count is the limiter's own count of what it let through, raised
to the server's count whenever a reply reports one (the server's count
includes the IP's or the account's other traffic). A call is charged a
:data:`Cost` (so much of each window); one that would go over a limit waits
for that window to end (``"wait"``) or is refused (``"raise"``);
``"off"`` sends everything, but still counts, so that a service that
reserves a share of a limit (the keepalive fleet, :meth:`RateLimiter.available`)
paces itself all the same. After a 429 or 418 every call waits until the
server's ``retryAfter`` (or the next minute) has passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, NamedTuple

from .._generated.models import RateLimit, RateLimitInterval
from ..errors import ApiError, ClientRateLimitedError, IpBannedError, RateLimitedError
from .clock import Clock

__all__ = ["DEFAULT_LIMITS", "Cost", "Limit", "RateLimitMode", "RateLimiter", "Window"]

RateLimitMode = Literal["wait", "raise", "off"]

_SECONDS = {
    RateLimitInterval.SECOND: 1,
    RateLimitInterval.MINUTE: 60,
    RateLimitInterval.HOUR: 3600,
    RateLimitInterval.DAY: 86400,
}


class Limit(NamedTuple):
    """One rate limit the client paces itself by, until the server reports its own numbers."""

    kind: str
    """The ``rateLimitType`` it counts: ``"REQUEST_WEIGHT"``, ``"ORDERS"``."""
    seconds: int
    """The window's length (windows start at multiples of it, on the clock's epoch)."""
    limit: int
    """What a window may hold."""
    per_account: bool = False
    """Counted per API key's account (ORDERS) rather than per IP (REQUEST_WEIGHT)."""


DEFAULT_LIMITS: tuple[Limit, ...] = (Limit("REQUEST_WEIGHT", 60, 2400),)
"""The documented REQUEST_WEIGHT limit. ORDERS (per account: 300 per 10 s, 1200 per
minute) joins this table as two more rows when order methods are paced."""


class Window:
    """The count of one limit in its current window."""

    __slots__ = ("kind", "limit", "seconds", "start", "used")

    def __init__(self, limit: Limit) -> None:
        self.kind = limit.kind
        self.seconds = limit.seconds
        self.limit = limit.limit
        self.start = -math.inf
        """When the current window began (clock seconds)."""
        self.used = 0

    def __repr__(self) -> str:
        return f"Window({self.kind} {self.used}/{self.limit} per {self.seconds} s)"

    def roll(self, now: float) -> None:
        """Start a new, empty window if ``now`` is past the current one."""
        if now - self.start >= self.seconds:
            self.start = now - now % self.seconds
            self.used = 0


Cost = tuple[tuple[Window, int], ...]
"""What one call uses: so much of each window (see :meth:`RateLimiter.cost`)."""


class RateLimiter:
    """Keeps one client's requests under every limit it knows; see the module docstring."""

    def __init__(
        self, clock: Clock, mode: RateLimitMode = "wait", limits: Iterable[Limit] = DEFAULT_LIMITS
    ) -> None:
        if mode not in ("wait", "raise", "off"):
            raise ValueError('rate_limit must be "wait", "raise" or "off"')
        self.mode = mode
        self._clock = clock
        limits = tuple(limits)
        self._shared = {(x.kind, x.seconds): Window(x) for x in limits if not x.per_account}
        self._per_account = tuple(x for x in limits if x.per_account)
        self._accounts: dict[str, dict[tuple[str, int], Window]] = {}
        self._blocked_until = 0.0

    def _windows(self, account: str | None) -> Iterable[Window]:
        yield from self._shared.values()
        if account is not None and self._per_account:
            windows = self._accounts.get(account)
            if windows is None:
                windows = self._accounts[account] = {
                    (x.kind, x.seconds): Window(x) for x in self._per_account
                }
            yield from windows.values()

    def window(self, kind: str, seconds: int, account: str | None = None) -> Window | None:
        """The window of ``kind`` and length ``seconds`` (an account's, for a per-account one)."""
        for window in self._windows(account):
            if window.kind == kind and window.seconds == seconds:
                return window
        return None

    def cost(self, amounts: Mapping[str, int], account: str | None = None) -> Cost:
        """The cost of a call that uses ``amounts`` (e.g. ``{"REQUEST_WEIGHT": 5}``).

        Every window of each kind is charged: a call that places an order
        counts in both of its account's ORDERS windows. Kinds the limiter
        does not know cost nothing.
        """
        return tuple(
            (window, amounts[window.kind])
            for window in self._windows(account)
            if amounts.get(window.kind)
        )

    def take(self, cost: Cost) -> bool:
        """Count ``cost`` if it fits in every window now (the fast path); False if not."""
        now = self._clock.time()
        pacing = self.mode != "off"
        if pacing and now < self._blocked_until:
            return False
        for window, amount in cost:
            if now - window.start >= window.seconds:
                window.roll(now)
            if pacing and window.used + amount > window.limit:
                return False
        for window, amount in cost:
            window.used += amount
        return True

    def refund(self, cost: Cost) -> None:
        """Give back what :meth:`take` counted for a request that was never sent."""
        for window, amount in cost:
            window.used = max(0, window.used - amount)

    def resume_at(self, cost: Cost = ()) -> float:
        """When ``cost`` may fit again: after any 429/418 pause, and the full windows' ends."""
        now = self._clock.time()
        resume = max(now, self._blocked_until)
        for window, amount in cost:
            window.roll(now)
            if window.used + amount > window.limit:
                resume = max(resume, window.start + window.seconds)
        return resume

    async def acquire(self, cost: Cost, method: str, timeout: float | None) -> None:
        """Wait (or raise) until ``cost`` fits in every window, then count it.

        Raises:
            ClientRateLimitedError: ``mode`` is ``"raise"``, or the wait would
                outlast ``timeout``.
        """
        while not self.take(cost):
            wait = self.resume_at(cost) - self._clock.time()
            if self.mode == "raise" or (timeout is not None and wait > timeout):
                full = [f"{w.kind} {w.used}/{w.limit} per {w.seconds} s" for w, _ in cost]
                raise ClientRateLimitedError(
                    status=429,
                    code=-1003,
                    msg=(
                        f"not sent: {method} (cost {', '.join(f'{w.kind} {n}' for w, n in cost)}) "
                        f"would exceed a rate limit ({'; '.join(full)} used); "
                        f"retry in {wait:.1f} s"
                    ),
                    method=method,
                )
            await self._clock.sleep(wait)
            if timeout is not None:
                timeout -= wait

    def available(self, kind: str, share: float = 1.0) -> tuple[int, float]:
        """How much of ``kind`` may go out now using at most ``share`` of its limit, and
        when more will be available (clock seconds).

        A service that must leave room for the program's other requests (the
        keepalive fleet) sends no more than that, and sleeps until then when it
        is too little. Nothing is available while a 429/418 pause lasts.
        """
        now = self._clock.time()
        room, more_at = None, now
        for window in self._shared.values():
            if window.kind == kind:
                window.roll(now)
                left = math.floor(window.limit * share) - window.used
                room = left if room is None else min(room, left)
                more_at = max(more_at, window.start + window.seconds)
        if now < self._blocked_until:
            return 0, self._blocked_until
        return max(0, room or 0), more_at

    def observe(self, rate_limits: Sequence[RateLimit] | None, account: str | None = None) -> None:
        """Take in the usage a reply reported (``account``: whose request it answered)."""
        if not rate_limits:
            return
        for reported in rate_limits:
            key = (
                reported.rate_limit_type.value,
                reported.interval_num * _SECONDS.get(reported.interval, 0),
            )
            window = self._shared.get(key)
            if window is None and account is not None and self._per_account:
                self.window(*key, account=account)  # creates the account's windows
                window = self._accounts[account].get(key)
            if window is None or reported.limit <= 0:
                continue
            if reported.count <= window.used and reported.limit == window.limit:
                # Nothing new (the common case, so it is checked first). Right after a
                # window ends, used may still hold the last window's count until take()
                # rolls it; the next reply's count then goes over it.
                continue
            window.roll(self._clock.time())
            window.limit = reported.limit
            if reported.count > window.used:
                window.used = reported.count

    def observe_error(self, error: ApiError, account: str | None = None) -> None:
        """Take in a failed reply: its usage, and a 429/418's time to wait."""
        self.observe(error.rate_limits, account)
        if isinstance(error, (RateLimitedError, IpBannedError)) and not isinstance(
            error, ClientRateLimitedError
        ):
            now = self._clock.time()
            retry_after = error.retry_after
            until = (
                retry_after / 1000 if retry_after is not None else (math.floor(now / 60) + 1) * 60
            )
            self._blocked_until = max(self._blocked_until, until)
