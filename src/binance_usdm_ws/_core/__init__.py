"""The sans-I/O core: requests and replies, with no socket and no event loop.

:mod:`.protocol` encodes and matches, :mod:`.converter` builds the models, :mod:`.ratelimit`
paces, :mod:`.backoff` and :mod:`.clock` time the waits, :mod:`.hooks` is what the generated
methods call, :mod:`.events` decodes stream events. No websockets here (import-linter checks).
"""

__all__: list[str] = []
