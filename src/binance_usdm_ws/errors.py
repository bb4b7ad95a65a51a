"""Exceptions raised by the SDK.

Every exception the SDK raises on purpose derives from :class:`BinanceWsError`::

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
    └── ProtocolError                a frame the SDK cannot decode

:func:`error_from_reply` is the one factory that maps a status and an error
code to the class: a code with a class of its own wins over the status, and a
status without a class of its own gives a plain :class:`ApiError`.

Messages never contain an API key: the server does not echo it, and the SDK
redacts it wherever it names one (see :func:`redact`).
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
    """Return a form of ``secret`` that is safe to print: its first 4 characters and ``…``.

    Keys of 8 characters or fewer are hidden entirely.
    """
    if secret is None:
        return "None"
    if len(secret) <= 8:
        return "…"
    return secret[:4] + "…"


class BinanceWsError(Exception):
    """Base class of every exception raised by the SDK."""


class ApiError(BinanceWsError):
    """The server answered a request with a status other than 200.

    Attributes:
        status: HTTP-like status of the reply (400, 401, 429, 503, …).
        code: Binance error code (e.g. ``-1125``).
        msg: the server's message, verbatim.
        request_id: id of the request the reply answers; ``None`` when the
            server could not tie the error to a request (``"id": null``).
        method: wire method of the request, when known.
        rate_limits: the reply's ``rateLimits``, or ``None`` when it had none.
        data: the error's free-form ``data`` object, or ``None``.
    """

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
        """Return a copy of this error attributed to another request.

        Used when one ``"id": null`` error (e.g. an API key revoked, status 401)
        fails every call in flight: each call gets its own exception object.
        """
        return type(self)(
            status=self.status,
            code=self.code,
            msg=self.msg,
            request_id=request_id,
            method=method,
            rate_limits=self.rate_limits,
            data=self.data,
        )


class BadRequestError(ApiError):
    """Status 400: the request was rejected; ``code`` says why."""


class ListenKeyNotFoundError(BadRequestError):
    """Code -1125: the API key has no active listenKey (never started, stopped or expired).

    Recover with ``user_data_stream.start()``, which creates a new key.
    """


class UnauthorizedError(ApiError):
    """Status 401: the request was not authorised."""


class InvalidApiKeyError(UnauthorizedError):
    """Codes -2014 (API-key format invalid) and -2015 (invalid API-key, IP, or permissions)."""


class ForbiddenError(ApiError):
    """Status 403: blocked by the web application firewall."""


class IpBannedError(ApiError):
    """Status 418: the IP is banned after requests that followed 429s.

    :attr:`retry_after`, when the server gives it, is when the ban ends.
    """


class RateLimitedError(ApiError):
    """Status 429: a rate limit was exceeded; back off.

    :attr:`retry_after`, when the server gives it, is when a retry is allowed.
    """


class ClientRateLimitedError(RateLimitedError):
    """The client refused to send a call that would exceed the REQUEST_WEIGHT limit.

    Raised by the client's own pacing (``rate_limit="raise"``, or ``"wait"``
    when the wait would outlast the call's timeout), from the ``rateLimits``
    the server reported. The request was not sent. ``status`` is 429 and
    ``code`` -1003, as the server would have answered.
    """


class ServerError(ApiError):
    """Status 5xx: a server-side failure. The execution status is UNKNOWN.

    The request may or may not have taken effect: check (e.g. query the order)
    before sending it again.
    """


class ConnectionClosedError(BinanceWsError):
    """The connection ended, or could not be opened, before a reply arrived.

    Every call pending on a connection fails with this at once when the
    connection ends; it never waits for its timeout.

    Attributes:
        sent: False when the request certainly never left the client (so it
            cannot have been executed); True when it may have been sent, in
            which case whether the server executed it is unknown.
    """

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class RequestTimeoutError(BinanceWsError, TimeoutError):
    """No reply arrived within the call's timeout. Whether the server executed it is unknown."""


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
    by_code = _BY_CODE.get(code)
    if by_code is not None:
        return by_code
    by_status = _BY_STATUS.get(status)
    if by_status is not None:
        return by_status
    if 500 <= status <= 599:
        return ServerError
    return ApiError


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
    cls = error_class(status, code)
    return cls(
        status=status,
        code=code,
        msg=msg,
        request_id=request_id,
        method=method,
        rate_limits=rate_limits,
        data=data,
    )
