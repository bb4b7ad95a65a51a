"""The websockets I/O layer: dialling, connections, their supervisor, user data streams (the
only hand-written package, besides ``testing``, that imports websockets)."""

__all__: list[str] = []
