"""The sans-I/O core: requests, replies, pacing and time, with no socket and no event loop
(an import-linter contract keeps websockets out)."""

__all__: list[str] = []
