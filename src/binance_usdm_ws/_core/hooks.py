"""The hooks generated code calls, its one way into the client: method groups build ``params``
and hand them to :meth:`AsyncRequester._request` (or :meth:`SyncRequester._request`)."""

from __future__ import annotations

import abc
import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

from .._generated.models import RateLimit

__all__ = ["AsyncRequester", "Auth", "MethodInfo", "Reply", "SyncRequester"]


class Reply(Protocol):
    """What every 200 reply model has (the envelope's ``rateLimits``)."""

    @property
    def rate_limits(self) -> Sequence[RateLimit] | None: ...


R = TypeVar("R", bound=Reply)


class Auth(enum.Enum):
    """What a method needs to authenticate, from its schema's security type."""

    NONE = "NONE"
    API_KEY = "API_KEY"
    """Security USER_STREAM / MARKET_DATA: ``apiKey`` in params, no signature."""
    SIGNED = "SIGNED"
    """Security TRADE / USER_DATA: ``apiKey``, ``timestamp`` and ``signature``."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class MethodInfo:
    """What the schema says of one wire method (``schema/methods/*.json``); ``docs`` is a URL."""

    method: str
    security: str
    weight: int | str
    """Request weight: a number, or the docs' text when it depends on the parameters."""
    idempotent: bool
    """Sending the request twice has the effect of sending it once (safe to retry)."""
    docs: str
    weight_by: tuple[str, int, tuple[tuple[int | None, int], ...]] | None = None
    """When the weight depends on a parameter: its wire name, the weight when it is not
    sent, and ``(up_to, weight)`` steps for when it is (``up_to`` ``None``: any value)."""

    def weight_of(self, params: Mapping[str, Any]) -> int:
        """The weight of one call with ``params`` (1 when the docs give only text)."""
        if self.weight_by is None:
            return self.weight if isinstance(self.weight, int) else 1
        name, absent, steps = self.weight_by
        value = params.get(name)
        if value is None:
            return absent
        return next((w for up_to, w in steps if up_to is None or value <= up_to), steps[-1][1])


class AsyncRequester(abc.ABC):
    """Sends one request and returns its decoded reply; implemented by the client."""

    @abc.abstractmethod
    async def _request(
        self,
        method: str,
        params: dict[str, Any],
        response_type: type[R],
        *,
        auth: Auth,
        api_key: str | None,
        return_rate_limits: bool | None,
        timeout: float | None,
    ) -> R:
        """Send ``method`` with ``params`` (a fresh dict, free to extend); the 200 reply, decoded.
        Raises the :mod:`~binance_usdm_ws.errors` (another status: an ``ApiError`` subclass)."""


class SyncRequester(abc.ABC):
    """The blocking twin of :class:`AsyncRequester`; implemented by the sync client."""

    @abc.abstractmethod
    def _request(
        self,
        method: str,
        params: dict[str, Any],
        response_type: type[R],
        *,
        auth: Auth,
        api_key: str | None,
        return_rate_limits: bool | None,
        timeout: float | None,
    ) -> R:
        """Like :meth:`AsyncRequester._request`, blocking until the reply."""
