"""Exceptions raised by the SDK: all that it raises on purpose derive from :class:`BinanceWsError`::

BinanceWsError
├── ApiError                     the server answered with a status other than 200
│   ├── BadRequestError          400
│   │   └── ListenKeyNotFoundError       -1125: no active listenKey
│   ├── UnauthorizedError        401
│   │   └── InvalidApiKeyError           -2014 / -2015: missing, malformed or unknown API key
│   ├── ForbiddenError           403 (WAF)
│   ├── IpBannedError            418: IP banned after repeated 429s
│   ├── RateLimitedError         429
│   │   └── ClientRateLimitedError       refused by the client's own pacing: not sent
│   └── ServerError              5xx: execution status UNKNOWN
├── ConnectionClosedError        the connection ended (or could not be opened)
├── RequestTimeoutError          no reply within the call's timeout
├── OrderStatusUnknownError      an order call was sent but its outcome is unknown
└── ProtocolError                a frame the SDK cannot decode
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._generated.models import RateLimit

__all__ = [
    "ApiError",
    "BadRequestError",
    "BinanceWsError",
    "ClientRateLimitedError",
    "ConnectionClosedError",
    "ForbiddenError",
    "InvalidApiKeyError",
    "IpBannedError",
    "ListenKeyNotFoundError",
    "OrderStatusUnknownError",
    "ProtocolError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ServerError",
    "UnauthorizedError",
    "error_class",
    "error_from_reply",
    "redact",
]


def redact(secret: str | None) -> str:
    """``secret`` safe to print: its first 4 characters and ``…`` (just ``…`` if 8 or fewer)."""
    if secret is None:
        return "None"
    return "…" if len(secret) <= 8 else secret[:4] + "…"


class BinanceWsError(Exception):
    """Base class of every exception raised by the SDK; no message holds an API key."""


class ApiError(BinanceWsError):
    """The server answered ``status`` (not 200), ``code`` and ``msg``; the rest may be ``None``."""

    def __init__(
        self,
        *,
        status: int,
        code: int,
        msg: str,
        request_id: str | int | None = None,
        method: str | None = None,
        rate_limits: Sequence[RateLimit] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.msg = msg
        self.request_id = request_id
        self.method = method
        self.rate_limits = list(rate_limits) if rate_limits is not None else None
        self.data = dict(data) if data is not None else None
        super().__init__(status, code, msg)

    @property
    def retry_after(self) -> int | None:
        """Epoch ms from which a retry is allowed (``error.data.retryAfter``), if given."""
        value = (self.data or {}).get("retryAfter")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def __str__(self) -> str:
        where = f" ({self.method}, id {self.request_id!r})" if self.method else ""
        return f"status {self.status}, code {self.code}: {self.msg}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, msg={self.msg!r}, "
            f"request_id={self.request_id!r}, method={self.method!r})"
        )

    def with_request(self, request_id: str | int | None, method: str | None) -> ApiError:
        """A copy for another request: one ``"id": null`` error fails each call in flight."""
        kept = {n: getattr(self, n) for n in ("status", "code", "msg", "rate_limits", "data")}
        return type(self)(request_id=request_id, method=method, **kept)


class BadRequestError(ApiError):
    """Status 400: the request was rejected; ``code`` says why."""


class ListenKeyNotFoundError(BadRequestError):
    """Code -1125: no active listenKey (never started, stopped or expired); ``start()`` anew."""


class UnauthorizedError(ApiError):
    """Status 401: the request was not authorised."""


class InvalidApiKeyError(UnauthorizedError):
    """Codes -2014 (API-key format invalid) and -2015 (invalid API-key, IP, or permissions)."""


class ForbiddenError(ApiError):
    """Status 403: blocked by the web application firewall."""


class IpBannedError(ApiError):
    """Status 418: the IP is banned after requests that followed 429s, until :attr:`retry_after`."""


class RateLimitedError(ApiError):
    """Status 429: a rate limit was exceeded; back off (until :attr:`retry_after`, if given)."""


class ClientRateLimitedError(RateLimitedError):
    """Not sent: the client's own pacing saw it exceed REQUEST_WEIGHT (status 429, code -1003)."""


class ServerError(ApiError):
    """Status 5xx: the execution status is UNKNOWN; check before sending the request again."""


class ConnectionClosedError(BinanceWsError):
    """The connection ended (or could not open) before a reply: each pending call fails at once.
    ``sent`` is False when the request certainly never left the client; True if it may have."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class RequestTimeoutError(BinanceWsError, TimeoutError):
    """No reply arrived within the call's timeout. Whether the server executed it is unknown,
    unless ``sent`` is False: the request never left the client (no free slot in time)."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class OrderStatusUnknownError(BinanceWsError):
    """An order call (``order.place``/``modify``/``cancel``, ``algoOrder.place``/``cancel``)
    was sent, but whether the server executed it is unknown: the connection dropped, the
    call timed out, or the server answered 5xx, -1006 or -1007 (the cause is ``__cause__``).

    The SDK never sends such a call again. ``await client.resolve_order(error)`` asks the
    server (``order.status`` by client order id) and returns the order, or ``None`` if it was
    not placed.
    """

    def __init__(
        self,
        *,
        method: str,
        symbol: str | None,
        client_order_id: str | None,
        order_id: int | None = None,
        valid_until: int | None = None,
        api_key: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        self.method = method
        self.symbol = symbol
        self.client_order_id = client_order_id
        """``newClientOrderId`` (``order.place``), ``origClientOrderId`` (modify, cancel) or
        ``clientAlgoId`` (algo orders), when the call had one."""
        self.order_id = order_id
        """``orderId`` (or ``algoId``), when the call named the order by it."""
        self.valid_until = valid_until
        """Server time (epoch ms) after which the server would reject the request as too old
        (``timestamp`` + ``recvWindow``): a request not executed by then never will be."""
        self.api_key = api_key
        """The account's API key, to look the order up (never in the message)."""
        which = client_order_id if client_order_id is not None else order_id
        super().__init__(
            f"{method} {symbol or ''} {which}: sent, but the outcome is unknown ({cause}); "
            "not sent again: resolve it with client.resolve_order(error)".replace("  ", " ")
        )


class ProtocolError(BinanceWsError):
    """The server sent a frame the SDK cannot decode (not JSON, or not the documented shape)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    418: IpBannedError,
    429: RateLimitedError,
}

_BY_CODE: dict[int, type[ApiError]] = {
    -1125: ListenKeyNotFoundError,
    -2014: InvalidApiKeyError,
    -2015: InvalidApiKeyError,
}


def error_class(status: int, code: int) -> type[ApiError]:
    """The exception class for a reply with this status and error code."""
    default = ServerError if 500 <= status <= 599 else ApiError
    return _BY_CODE.get(code) or _BY_STATUS.get(status, default)


def error_from_reply(
    *,
    status: int,
    code: int,
    msg: str,
    request_id: str | int | None = None,
    method: str | None = None,
    rate_limits: Sequence[RateLimit] | None = None,
    data: Mapping[str, Any] | None = None,
) -> ApiError:
    """Build the :class:`ApiError` subclass that matches ``status`` and ``code``."""
    return error_class(status, code)(
        status=status,
        code=code,
        msg=msg,
        request_id=request_id,
        method=method,
        rate_limits=rate_limits,
        data=data,
    )
