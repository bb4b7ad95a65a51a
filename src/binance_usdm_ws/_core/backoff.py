"""Exponential backoff with jitter, for re-dials and retries."""

from collections.abc import Callable
from random import random

__all__ = ["Backoff"]


class Backoff:
    """Exponential backoff with jitter: ``initial * 2**n``, capped at ``maximum``, times 0.5–1."""

    def __init__(
        self, initial: float = 0.5, maximum: float = 30.0, *, rng: Callable[[], float] = random
    ) -> None:
        if not 0 < initial <= maximum:
            raise ValueError("backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self._rng = rng

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (0-based)."""
        ceiling: float = min(self.maximum, self.initial * 2.0 ** min(attempt, 32))
        return ceiling * (0.5 + 0.5 * self._rng())
