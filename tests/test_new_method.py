"""Adding a method is adding one schema file and running codegen.

The package is copied under another name, a made-up method (the fixture's
``v2/fixture.everything``) is added to a copy of schema/, codegen
regenerates into the copy, and the result is type-checked, imported and
called against the emulator.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import binance_usdm_ws
from binance_usdm_ws.testing import Emulator, FakeClock
from codegen.__main__ import main as codegen_main

from .conftest import ROOT

FIXTURE = ROOT / "tests" / "data" / "fixture_schema"
NEW_METHODS = ["v2_fixture.everything.json"]


@pytest.fixture(scope="module")
def alt_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("alt")
    package = root / "bus_alt"
    shutil.copytree(
        ROOT / "src" / "binance_usdm_ws", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    schema = root / "schema"
    shutil.copytree(ROOT / "schema", schema)
    for name in NEW_METHODS:
        shutil.copy(FIXTURE / "methods" / name, schema / "methods" / name)
    assert codegen_main(["--schema", str(schema), "--out", str(package / "_generated")]) == 0
    return root


@pytest.fixture
def bus_alt(alt_root: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(alt_root))
    try:
        yield importlib.import_module("bus_alt")
    finally:
        sys.path.remove(str(alt_root))


async def test_the_new_method_is_callable(bus_alt: ModuleType) -> None:
    assert not hasattr(binance_usdm_ws.AsyncClient(), "fixture")  # really new
    clock = FakeClock()
    async with Emulator(clock=clock) as emulator:
        async with bus_alt.AsyncClient(url=emulator.url) as client:
            assert callable(client.fixture.everything_v2)
            # Existing methods are still there.
            reply = await client.session.status()
            assert callable(client.user_data_stream.ping)
    assert isinstance(reply, bus_alt.SessionStatusResponse)
    assert isinstance(reply.result, bus_alt.SessionStatusResult)
    assert reply.result.connected_since == clock()
    assert reply.result.api_key is None
    assert reply.result.return_rate_limits is True
    assert bus_alt.METHODS["session.status"].weight == 2
    assert bus_alt.METHODS["v2/fixture.everything"].weight == 3
    assert emulator.requests[-1] == {"id": reply.id, "method": "session.status"}


async def test_parameters_reach_the_wire(bus_alt: ModuleType) -> None:
    from decimal import Decimal

    async with Emulator(api_keys={"fixtureKey"}) as emulator:
        async with bus_alt.AsyncClient(api_key="fixtureKey", url=emulator.url) as client:
            with pytest.raises(bus_alt.BadRequestError, match="Unknown method"):
                await client.fixture.everything_v2(
                    symbol="BTCUSDT", side="SELL", price=Decimal("0.00000010"), reduce_only=False
                )
    assert emulator.requests[-1]["params"] == {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "price": "0.00000010",  # never exponent form (str() would give 1.0E-7)
        "reduceOnly": False,
        "apiKey": "fixtureKey",
    }


@pytest.mark.slow
def test_the_generated_package_passes_mypy_strict(alt_root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "bus_alt"],
        cwd=alt_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
