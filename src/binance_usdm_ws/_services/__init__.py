from typing import Protocol

from .._core.clock import Clock
from .._core.ratelimit import RateLimiter
from .._generated.methods import AsyncUserDataStream

__all__ = ["ServiceHost"]


class ServiceHost(Protocol):
    """What a user data service needs of its client (an ``AsyncClient``); it uses nothing else."""

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
