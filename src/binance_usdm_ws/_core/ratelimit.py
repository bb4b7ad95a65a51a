"""Client-side rate limiting: do not send what the server would answer with 429.

Binance counts each limit in fixed windows on the clock: REQUEST_WEIGHT per IP per minute,
ORDERS per account per 10 s and per minute. A :class:`Window` counts what the client let
through, raised to the count a reply reports (which includes other traffic). After a 429 or
418 every call waits for ``retryAfter`` (or the next minute)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, NamedTuple

from .._generated.models import RateLimit
from ..errors import ApiError, ClientRateLimitedError, IpBannedError, RateLimitedError
from .clock import Clock

__all__ = [
    "DEFAULT_LIMITS",
    "ORDER_METHODS",
    "Cost",
    "Limit",
    "RateLimitMode",
    "RateLimiter",
    "Window",
]

RateLimitMode = Literal["wait", "raise", "off"]

# By the interval's value: looking an enum member up by itself hashes it in Python.
_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}


class Limit(NamedTuple):
    """A limit the client paces itself by until the server reports its own numbers."""

    kind: str
    """The ``rateLimitType`` counted: ``"REQUEST_WEIGHT"``, ``"ORDERS"``."""
    seconds: int
    limit: int
    per_account: bool = False


DEFAULT_LIMITS: tuple[Limit, ...] = (
    Limit("REQUEST_WEIGHT", 60, 2400),
    Limit("ORDERS", 10, 300, per_account=True),
    Limit("ORDERS", 60, 1200, per_account=True),
)
"""The documented limits: REQUEST_WEIGHT per IP, ORDERS per account (FACTS §3.7). The
server's ``rateLimits`` replace these numbers as replies report them."""

ORDER_METHODS = frozenset({"order.place", "order.modify"})
"""The methods that count one order against the account's ORDERS limits."""


class Window:
    """One limit's count in its current window (windows start at multiples of ``seconds``)."""

    __slots__ = ("kind", "limit", "seconds", "start", "used")

    def __init__(self, limit: Limit) -> None:
        self.kind, self.seconds, self.limit = limit.kind, limit.seconds, limit.limit
        self.start = -math.inf
        self.used = 0

    def roll(self, now: float) -> None:
        """Start a new, empty window if ``now`` is past the current one."""
        if now - self.start >= self.seconds:
            self.start = now - now % self.seconds
            self.used = 0


Cost = tuple[tuple[Window, int], ...]
"""What one call uses of each window it counts in (see :meth:`RateLimiter.cost`)."""


class RateLimiter:
    """Keeps one client's requests under every limit it knows (one :class:`Window` each, per
    account for per-account ones). Over a limit a call waits for the window's end (``"wait"``)
    or is refused (``"raise"``); ``"off"`` still counts, so :meth:`available` paces a service."""

    def __init__(
        self, clock: Clock, mode: RateLimitMode = "wait", limits: Iterable[Limit] = DEFAULT_LIMITS
    ) -> None:
        if mode not in ("wait", "raise", "off"):
            raise ValueError('rate_limit must be "wait", "raise" or "off"')
        self.mode = mode
        self._pacing = mode != "off"
        self._clock = clock
        limits = tuple(limits)
        self._shared = {(x.kind, x.seconds): Window(x) for x in limits if not x.per_account}
        self._per_account = [x for x in limits if x.per_account]
        self._accounts: dict[str, dict[tuple[str, int], Window]] = {}
        self._blocked_until = 0.0

    def _windows(self, account: str | None) -> dict[tuple[str, int], Window]:
        """The windows a call of ``account`` counts in: the shared ones and the account's."""
        if account is None or not self._per_account:
            return self._shared
        if (windows := self._accounts.get(account)) is None:
            own = {(x.kind, x.seconds): Window(x) for x in self._per_account}
            windows = self._accounts[account] = {**self._shared, **own}
        return windows

    def window(self, kind: str, seconds: int, account: str | None = None) -> Window | None:
        """The window of ``kind`` and length ``seconds`` (``account``'s, if per account)."""
        return self._windows(account).get((kind, seconds))

    def cost(self, amounts: Mapping[str, int], account: str | None = None) -> Cost:
        """The cost of a call using ``amounts`` (e.g. ``{"REQUEST_WEIGHT": 5}``): every
        window of each kind is charged; unknown kinds cost nothing."""
        windows = self._windows(account).values()
        return tuple((w, amounts[w.kind]) for w in windows if amounts.get(w.kind))

    def take(self, cost: Cost) -> bool:
        """Count ``cost`` if it fits in every window now; False (nothing counted) if not."""
        now = self._clock.time()
        pacing = self._pacing
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
        """When ``cost`` may fit again: after a 429/418 pause and the full windows' ends."""
        now = self._clock.time()
        resume = max(now, self._blocked_until)
        for window, amount in cost:
            window.roll(now)
            if window.used + amount > window.limit:
                resume = max(resume, window.start + window.seconds)
        return resume

    async def acquire(self, cost: Cost, method: str, timeout: float | None) -> None:
        """Wait until ``cost`` fits in every window, then count it. Raises
        :class:`ClientRateLimitedError` (not sent) in ``"raise"`` mode or past ``timeout``."""
        while not self.take(cost):
            wait = self.resume_at(cost) - self._clock.time()
            if self.mode == "raise" or (timeout is not None and wait > timeout):
                used = "; ".join(f"{w.kind} {w.used}/{w.limit} per {w.seconds} s" for w, _ in cost)
                raise ClientRateLimitedError(
                    status=429,
                    code=-1003,
                    msg=f"not sent: {method} would exceed a rate limit ({used} used); "
                    f"retry in {wait:.1f} s",
                    method=method,
                )
            await self._clock.sleep(wait)
            if timeout is not None:
                timeout -= wait

    def available(self, kind: str, share: float = 1.0) -> tuple[int, float]:
        """How much of ``kind`` may go out now within ``share`` of its limit, and when
        more will (clock seconds); nothing during a 429/418 pause."""
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
        """Take in the counts a reply reported (``account``: whose request it answered)."""
        if not rate_limits:
            return
        windows = self._shared if account is None else self._windows(account)
        for reported in rate_limits:
            seconds = reported.interval_num * _SECONDS.get(reported.interval._value_, 0)
            window = windows.get((reported.rate_limit_type._value_, seconds))
            if window is None or reported.limit <= 0:
                continue
            if reported.count <= window.used and reported.limit == window.limit:
                continue  # nothing new: the common case (a count from a window that has
                # just ended may linger until take() rolls it; the next reply overrides it)
            window.roll(self._clock.time())
            window.limit = reported.limit
            window.used = max(window.used, reported.count)

    def observe_error(self, error: ApiError, account: str | None = None) -> None:
        """Take in a failed reply: its counts, and a 429/418's time to wait."""
        self.observe(error.rate_limits, account)
        if isinstance(error, (RateLimitedError, IpBannedError)) and not isinstance(
            error, ClientRateLimitedError
        ):
            now = self._clock.time()
            retry_after = error.retry_after
            until = retry_after / 1000 if retry_after is not None else (now // 60 + 1) * 60
            self._blocked_until = max(self._blocked_until, until)
