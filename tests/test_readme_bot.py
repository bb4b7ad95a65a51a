"""The README's bot test ("#### The pytest plugin"), run as written through pytester, with the
plugin loaded as an installed package loads it and pytest-asyncio in its default strict mode."""

from __future__ import annotations

import re

import pytest

from .conftest import readme_block
from .test_pytest_plugin import STRICT as ARGS

pytest_plugins = ["pytester"]


def readme_bot_test() -> str:
    """The first Python block after "#### The pytest plugin" in README.md."""
    return readme_block("#### The pytest plugin")


def run_readme(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makepyfile(test_readme_bot=readme_bot_test())
    return pytester.runpytest(*ARGS)


def test_the_readme_block_is_a_complete_bot_test() -> None:
    code = readme_bot_test()
    compile(code, "README.md", "exec")
    assert re.findall(r"^async def (test_\w+)", code, re.M) == [
        "test_the_bot_buys_the_dip_and_closes"
    ]
    for needed in (
        "@pytest.mark.asyncio",  # strict mode: the plugin needs no configuration, the test this
        "@pytest.mark.binance_emulator(",
        'type="LIMIT"',
        "binance_emulator.set_price(",
        "binance_client.user_data_events()",
        "OrderTradeUpdateEvent",
        "binance_client.account.position_v2(",
        'reduce_only="true"',
    ):
        assert needed in code, needed


def test_the_readme_bot_test_passes_as_written(pytester: pytest.Pytester) -> None:
    result = run_readme(pytester)
    result.assert_outcomes(passed=1)


def test_the_bot_test_fails_when_the_order_does_not_fill(pytester: pytest.Pytester) -> None:
    """The block can fail: with the price moved up instead of down, no fill comes."""
    code = readme_bot_test()
    moved = code.replace('set_price("BTCUSDT", Decimal("48900.00"))', 'set_price("BTCUSDT", 51000)')
    moved = moved.replace("timeout=10", "timeout=0.5")
    assert moved.count("51000") == 1 and "timeout=10" not in moved
    pytester.makepyfile(test_readme_bot=moved)
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TimeoutError*"])
