"""The sans-I/O core: what a request and a reply are, with no socket and no event loop.

:mod:`.protocol` encodes requests and matches and decodes replies,
:mod:`.converter` turns JSON into the generated models, :mod:`.ratelimit`
paces, :mod:`.backoff` and :mod:`.clock` time the waits, :mod:`.hooks` is the
contract the generated methods call, :mod:`.events` decodes stream events.
Nothing here imports websockets (an import-linter contract checks it).
"""

__all__: list[str] = []
