"""The websockets I/O layer: :mod:`.socket` dials, :mod:`.connection` sends requests and
settles replies, :mod:`.supervisor` keeps a connection open, :mod:`.stream` reads a user
data stream. The only hand-written package that imports websockets, besides ``testing``."""

__all__: list[str] = []
