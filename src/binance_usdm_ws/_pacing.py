"""Client-side pacing: do not send what the server would answer with 429.

The REQUEST_WEIGHT limit is counted per IP in windows of one wall-clock
minute. The pacer keeps the weight used in the current window: its own
count of what it let through, raised to the server's count whenever a reply
reports one (the server's count includes the IP's other traffic). A call
that would go over the limit waits for the next window (``"wait"``) or is
refused (``"raise"``); after a 429 or 418 every call waits until the
server's ``retryAfter`` (or the next window) has passed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from ._clock import Clock
from ._hooks import LazyModule
from .errors import ApiError, ClientRateLimitedError, IpBannedError, RateLimitedError

if TYPE_CHECKING:
    from . import _models as models
    from ._models import RateLimit
else:
    models = LazyModule("._models", __package__)

__all__ = ["DEFAULT_WEIGHT_LIMIT", "Pacer", "RateLimitMode"]

RateLimitMode = Literal["wait", "raise", "off"]
DEFAULT_WEIGHT_LIMIT = 2400
"""The documented REQUEST_WEIGHT limit per minute, until the server reports one."""


class Pacer:
    """Keeps one client's requests under the REQUEST_WEIGHT limit; see the module docstring."""

    def __init__(self, clock: Clock, mode: RateLimitMode = "wait") -> None:
        if mode not in ("wait", "raise", "off"):
            raise ValueError('rate_limit must be "wait", "raise" or "off"')
        self.mode = mode
        self._clock = clock
        self.limit = DEFAULT_WEIGHT_LIMIT
        self._window = -1
        self._used = 0
        self._blocked_until = 0.0

    @property
    def used(self) -> int:
        """Weight used in the current window, as far as the client knows."""
        self._roll(self._clock.time())
        return self._used

    def _roll(self, now: float) -> None:
        window = math.floor(now / 60)
        if window != self._window:
            self._window, self._used = window, 0

    def take(self, weight: int) -> bool:
        """Count ``weight`` if it fits in the window now (the fast path); False if not."""
        if self.mode == "off":
            return True
        now = self._clock.time()
        if math.floor(now / 60) != self._window:
            self._roll(now)
        if now >= self._blocked_until and self._used + weight <= self.limit:
            self._used += weight
            return True
        return False

    def refund(self, weight: int) -> None:
        """Give back what :meth:`take` counted for a request that was never sent."""
        self._used = max(0, self._used - weight)

    async def acquire(self, weight: int, method: str, timeout: float | None) -> None:
        """Wait (or raise) until ``weight`` fits in the window, then count it.

        Raises:
            ClientRateLimitedError: ``mode`` is ``"raise"``, or the wait would
                outlast ``timeout``.
        """
        while not self.take(weight):
            now = self._clock.time()
            resume = max(now, self._blocked_until)
            if self._used + weight > self.limit:
                resume = max(resume, (self._window + 1) * 60.0)
            wait = resume - now
            if self.mode == "raise" or (timeout is not None and wait > timeout):
                raise ClientRateLimitedError(
                    status=429,
                    code=-1003,
                    msg=(
                        f"not sent: {method} (weight {weight}) would exceed the REQUEST_WEIGHT "
                        f"limit ({self._used}/{self.limit} used this minute); "
                        f"retry in {wait:.1f} s"
                    ),
                    method=method,
                )
            await self._clock.sleep(wait)
            if timeout is not None:
                timeout -= wait

    def observe(self, rate_limits: Sequence[RateLimit] | None) -> None:
        """Take in the usage a reply reported."""
        if not rate_limits:
            return
        for limit in rate_limits:
            if limit.count <= self._used and limit.limit == self.limit:
                # Nothing new (the common case, so it is checked first). Right after a
                # new minute starts, _used may still hold the last minute's count until
                # take() resets it; the next reply's count then goes over it.
                continue
            if (
                limit.interval_num == 1
                and limit.limit > 0
                and limit.rate_limit_type is models.RateLimitType.REQUEST_WEIGHT
                and limit.interval is models.RateLimitInterval.MINUTE
            ):
                self._roll(self._clock.time())
                self.limit = limit.limit
                if limit.count > self._used:
                    self._used = limit.count

    def observe_error(self, error: ApiError) -> None:
        """Take in a failed reply: its usage, and a 429/418's time to wait."""
        self.observe(error.rate_limits)
        if isinstance(error, (RateLimitedError, IpBannedError)) and not isinstance(
            error, ClientRateLimitedError
        ):
            now = self._clock.time()
            retry_after = error.retry_after
            until = (
                retry_after / 1000 if retry_after is not None else (math.floor(now / 60) + 1) * 60
            )
            self._blocked_until = max(self._blocked_until, until)
