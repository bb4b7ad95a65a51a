"""Benchmarks of the SDK against raw ``websockets`` + ``json`` (``make bench``; not tests).

Run them all with ``python -m bench`` from the repository root, or one with
``python -m bench.roundtrip`` (``codec``, ``imports``, ``memory``,
``keepalive_fleet``). Each compares against its baseline in the same run,
alternating A/B rounds, prints medians and ratios, and writes
``bench/results/<name>.json``. ``python -m bench.profile`` shows where the
client's time goes (cProfile). ``bench/RESULTS.md`` records a run.
"""

__all__: list[str] = []
