"""The blocking client: the generated methods, run on a private event loop thread."""

from __future__ import annotations

from typing import Any, TypeVar

from ._client import AsyncClient
from ._hooks import Auth
from ._loop_thread import LoopThread
from ._methods import Api
from .errors import redact

__all__ = ["Client"]

R = TypeVar("R")


class Client(Api):
    """Blocking client of the API, for scripts and notebooks::

        with Client(api_key="...") as client:
            print(client.user_data_stream.ping().result.listen_key)

    It has the same methods, arguments, replies and exceptions as
    :class:`~binance_usdm_ws.AsyncClient` (whose options it takes), and runs
    one on an event loop in a thread of its own: it works from any thread,
    including one whose event loop is running.
    """

    def __init__(self, api_key: str | None = None, **options: Any) -> None:
        super().__init__()
        self._async = AsyncClient(api_key, **options)
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

    def __enter__(self) -> Client:
        return self.connect()

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
