"""The hand-written hooks that generated code calls.

Generated method groups (:mod:`._methods`) build a request's ``params`` and
hand it to :meth:`AsyncRequester._request` (or its blocking twin
:meth:`SyncRequester._request`); the clients implement that hook.
Generated code never reaches into the client otherwise. It reaches the
generated models through a :class:`LazyModule`, so that importing the client
does not import attrs and build every model class before the first call.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import importlib
from typing import Any, TypeVar

__all__ = ["AsyncRequester", "Auth", "LazyModule", "MethodInfo", "SyncRequester"]

R = TypeVar("R")


class Auth(enum.Enum):
    """What a method needs to authenticate, from its schema's security type."""

    NONE = "NONE"
    """Security NONE: no API key."""
    API_KEY = "API_KEY"
    """Security USER_STREAM / MARKET_DATA: ``apiKey`` in params, no signature."""


class LazyModule:
    """A module's attributes, importing the module on the first attribute read.

    Each attribute read once is then kept on this object, so a later read is
    a plain attribute lookup (generated methods read their response type on
    every call).
    """

    def __init__(self, name: str, package: str | None) -> None:
        self._lazy_target = (name, package)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # copy and friends probe for dunders: not ours
            raise AttributeError(attribute)
        module = importlib.import_module(*self._lazy_target)
        value = getattr(module, attribute)
        setattr(self, attribute, value)
        return value

    def __repr__(self) -> str:
        name, package = self._lazy_target
        return f"<LazyModule {name!r} of {package!r}>"


# A dataclass, not attrs: generated code builds these at import, before anything needs attrs.
@dataclasses.dataclass(frozen=True, kw_only=True)
class MethodInfo:
    """What the schema says of one wire method (see ``schema/methods/*.json``)."""

    method: str
    """Wire method name, e.g. ``userDataStream.ping``."""
    security: str
    """Binance security type, e.g. ``USER_STREAM``."""
    weight: int | str
    """Request weight: a number, or the docs' text when it depends on the parameters."""
    idempotent: bool
    """Sending the request twice has the effect of sending it once (safe to retry)."""
    docs: str
    """URL of the method's page in the official docs."""


class AsyncRequester(abc.ABC):
    """Sends one request and returns its decoded reply; implemented by the client."""

    __slots__ = ()

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
        """Send ``method`` with ``params`` and decode the 200 reply as ``response_type``.

        ``params`` is a fresh dict built for this call; the requester may add
        to it (``apiKey``, ``returnRateLimits``).

        Raises an :class:`~binance_usdm_ws.errors.ApiError` subclass for any
        other status, and the other :mod:`~binance_usdm_ws.errors` for
        timeouts, closed connections and undecodable replies.
        """


class SyncRequester(abc.ABC):
    """The blocking twin of :class:`AsyncRequester`; implemented by the sync client."""

    __slots__ = ()

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
