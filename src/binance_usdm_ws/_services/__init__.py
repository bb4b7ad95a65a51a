"""The user data services: listenKey keepalive (one key or a fleet) and the user data stream.

They use the API only through a client's generated methods (:class:`ServiceHost`).
"""

from typing import Protocol

from .._core.clock import Clock
from .._core.ratelimit import RateLimiter
from .._generated.methods import AsyncUserDataStream

__all__ = ["ServiceHost"]


class ServiceHost(Protocol):
    """What a service needs of the client it runs on (an ``AsyncClient``)."""

    user_data_stream: AsyncUserDataStream

    @property
    def url(self) -> str:
        """The API endpoint (the stream's URL is derived from it)."""

    @property
    def clock(self) -> Clock:
        """The clock services wait on."""

    @property
    def rate_limiter(self) -> RateLimiter:
        """The client's rate limiter, through which a service reserves its share."""
