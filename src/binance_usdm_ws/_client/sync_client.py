"""The blocking client: the generated methods, run on a private event loop thread."""

from __future__ import annotations

from typing import Any

from .._core.clock import Clock
from .._core.hooks import Auth, R
from .._core.ratelimit import RateLimitMode
from .._core.signing import KeyInput
from .._generated.methods import Api
from .._generated.models import OrderStatusResult
from .._io.loop_thread import LoopThread
from ..errors import OrderStatusUnknownError, redact
from .async_client import AsyncClient
from .settings import ConnectionSettings

__all__ = ["Client"]


class Client(Api):
    """Blocking client of the API, for scripts and notebooks: ``with Client(...) as client:``.

    Same options, methods, replies and exceptions (ValueError: a bad option) as
    :class:`~binance_usdm_ws.AsyncClient`, which it runs on an event loop thread of its own,
    so it works from any thread, even one whose event loop is running.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        api_secret: str | None = None,
        private_key: KeyInput | None = None,
        private_key_password: str | bytes | None = None,
        session_logon: bool = False,
        recv_window: int = 5000,
        url: str | None = None,
        testnet: bool = False,
        timeout: float | None = 10.0,
        return_rate_limits: bool = True,
        clock: Clock | None = None,
        rate_limit: RateLimitMode = "wait",
        retries: int = 2,
        max_pending: int = 10_000,
        connection: ConnectionSettings | None = None,
    ) -> None:
        super().__init__()
        self._async = AsyncClient(
            api_key,
            api_secret=api_secret,
            private_key=private_key,
            private_key_password=private_key_password,
            session_logon=session_logon,
            recv_window=recv_window,
            url=url,
            testnet=testnet,
            timeout=timeout,
            return_rate_limits=return_rate_limits,
            clock=clock,
            rate_limit=rate_limit,
            retries=retries,
            max_pending=max_pending,
            connection=connection,
        )
        self._thread = LoopThread("binance_usdm_ws client")

    def __repr__(self) -> str:
        key = redact(self._async.api_key) if self._async.api_key else None
        return f"{type(self).__name__}(url={self._async.url!r}, api_key={key!r})"

    @property
    def url(self) -> str:
        """The endpoint, including any query string the client adds."""
        return self._async.url

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._async.connected

    @property
    def time_offset(self) -> int:
        """Estimated server clock minus local clock, in ms (see ``AsyncClient.time_offset``)."""
        return self._async.time_offset

    def resolve_order(
        self, error: OrderStatusUnknownError, *, timeout: float | None = None
    ) -> OrderStatusResult | None:
        """The order behind ``error``, or ``None`` if it was not placed; see
        :meth:`AsyncClient.resolve_order`."""
        self._thread.start()
        return self._thread.run(self._async.resolve_order(error, timeout=timeout))

    def connect(self) -> Client:
        """Open the connection; see :meth:`AsyncClient.connect`."""
        self._thread.start()
        self._thread.run(self._async.connect())
        return self

    def close(self) -> None:
        """Close the connection and stop the client's thread."""
        if self._thread.running:
            self._thread.run(self._async.close())
            self._thread.stop()

    __enter__ = connect

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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
        self._thread.start()  # a call before connect() connects, as AsyncClient does
        return self._thread.run(
            self._async._request(
                method,
                params,
                response_type,
                auth=auth,
                api_key=api_key,
                return_rate_limits=return_rate_limits,
                timeout=timeout,
            )
        )
