"""pytest plugin: an emulator of the API per test, and clients connected to it.

Installed with the package (a ``pytest11`` entry point named after this module); nothing to
configure. Only pytest imports this module, so pytest is not a dependency of the SDK.
``-p no:binance_usdm_ws.testing.pytest_plugin`` turns it off.

Fixtures:

- ``binance_emulator``: a fresh :class:`~binance_usdm_ws.testing.Emulator` per test, running
  on an event loop in a thread of its own (``with Emulator(...)``), so blocking tests and async
  tests (on any event loop) use it alike. Its plain methods (``account``, ``set_position``,
  ``listen_key``, ``set_price`` …) are called directly; its coroutines (``streams.push``,
  ``drop_connections`` …) run on its loop: ``await on_emulator(emulator, coroutine)`` from an
  async test, ``on_emulator_sync(emulator, coroutine)`` from a blocking one.
- ``binance_account``: the API key and HMAC secret the emulator knows and the clients use
  (generated per test, or the first of the marker's ``accounts``).
- ``binance_client``: a connected :class:`~binance_usdm_ws.AsyncClient` signing with that
  account (needs pytest-asyncio; works in its strict mode, no configuration needed).
- ``binance_sync_client``: the blocking :class:`~binance_usdm_ws.Client` twin.
- ``binance_clock``: a :class:`~binance_usdm_ws.testing.FakeClock`. When a test uses it, the
  emulator and the clients of that test share it (time moves only with ``advance``/``run``);
  otherwise they use the system clock.

The marker ``@pytest.mark.binance_emulator(...)`` configures one test's emulator (see
:class:`EmulatorOptions`); any keyword it does not know is passed to the ``Emulator``
constructor (``weight_limit=``, ``verify_signatures=``, and the paper exchange's
``liquidity=``, ``slippage=``, ``commission=``).

Strict checks at teardown: the test fails (an error at teardown) when the emulator logged an
internal error during it (a request answered 500 / -1000 because the emulator raised, or an
exception on the emulator's event loop). Opt out for one test with
``@pytest.mark.binance_emulator(strict=False)``, or for all with ``binance_emulator_strict =
false`` in the pytest ini options.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pytest

from .._client import AsyncClient, Client
from ._clock import FakeClock, wall_clock_ms
from ._emulator import Emulator
from ._faults import Faults

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - pytest-asyncio is installed where this is tested
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["BinanceAccount", "EmulatorOptions", "on_emulator", "on_emulator_sync"]

T = TypeVar("T")

MARKER = "binance_emulator"
_STRICT_INI = "binance_emulator_strict"
_EMULATOR_THREAD = "binance_usdm_ws emulator"  # the emulator's LoopThread's name
_LOGGER = "binance_usdm_ws.testing"


@attrs.frozen
class BinanceAccount:
    """An API key the emulator knows, with its HMAC secret (a throwaway test secret)."""

    api_key: str
    api_secret: str

    def __repr__(self) -> str:
        return f"BinanceAccount(api_key={self.api_key[:4] + '…'!r}, api_secret='…')"


@attrs.frozen(kw_only=True)
class EmulatorOptions:
    """What ``@pytest.mark.binance_emulator(...)`` sets, all optional.

    Args:
        accounts: HMAC secrets by API key, the accounts the emulator knows (the first is the
            one the client fixtures use); default: one generated account.
        symbols: the symbols and their last prices (the decimals of a price are its tick
            size): the ``Emulator``'s ``symbols``.
        prices: symbols' prices set with ``emulator.set_price`` once the emulator has
            started (orders placed later match against them).
        balances: each account's wallet balances when it is first used.
        positions: the clients' account's one-way positions, ``{symbol: (amount,
            entry_price)}``.
        faults: a callable given ``emulator.faults``, or ``{method: arguments}`` calls on it
            (``{"fail_next": 2, "delay_replies": {"seconds": 0.2, "count": 1}}``: a scalar is
            one positional argument, a list or tuple the positional ones, a dict keywords).
        strict: False turns off the teardown checks for this test.
        emulator_kwargs: the other keywords, passed to the ``Emulator`` constructor; among
            them ``clock=``, the emulator's own clock (by default ``binance_clock`` when the
            test uses it, else the system clock), e.g. one skewed from the clients'.
    """

    accounts: Mapping[str, str] | None = None
    symbols: Mapping[str, Decimal | str] | None = None
    prices: Mapping[str, Decimal | str] = attrs.Factory(dict)
    balances: Mapping[str, Decimal | str] | None = None
    positions: Mapping[str, tuple[Decimal | str, Decimal | str]] = attrs.Factory(dict)
    faults: Callable[[Faults], object] | Mapping[str, Any] | None = None
    strict: bool | None = None
    emulator_kwargs: Mapping[str, Any] = attrs.Factory(dict)

    @classmethod
    def from_node(cls, node: pytest.Item) -> EmulatorOptions:
        """The options of the test's ``binance_emulator`` markers (the closest wins)."""
        merged: dict[str, Any] = {}
        for marker in reversed(list(node.iter_markers(MARKER))):  # module, class, then function
            if marker.args:
                raise pytest.UsageError(
                    f"@pytest.mark.{MARKER} takes keyword arguments only, not {marker.args!r}"
                )
            merged.update(marker.kwargs)
        known = {field.name for field in attrs.fields(cls)} - {"emulator_kwargs"}
        options = {k: v for k, v in merged.items() if k in known}
        rest = {k: v for k, v in merged.items() if k not in known}
        return cls(**options, emulator_kwargs=rest)


# -- running coroutines on a threaded emulator ----------------------------------------------


def _loop_of(emulator: Emulator) -> asyncio.AbstractEventLoop | None:
    """The event loop of an emulator running in its own thread, or None."""
    thread = getattr(emulator, "_thread", None)
    loop = getattr(thread, "_loop", None)
    return loop if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running() else None


async def on_emulator(emulator: Emulator, coroutine: Coroutine[Any, Any, T]) -> T:
    """Await one of ``emulator``'s coroutines (``emulator.streams.push(...)``,
    ``emulator.drop_connections()`` …) from an async test: on the emulator's own event loop
    when it runs in a thread of its own (as ``binance_emulator`` does), else here."""
    loop = _loop_of(emulator)
    if loop is None:
        return await coroutine
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))


def on_emulator_sync(emulator: Emulator, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of a threaded ``emulator``'s coroutines from blocking code; return its result.

    Raises ``RuntimeError`` when the emulator does not run in a thread of its own.
    """
    loop = _loop_of(emulator)
    if loop is None:
        coroutine.close()
        raise RuntimeError("the emulator does not run in a thread of its own (with Emulator())")
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()


# -- strict checks ----------------------------------------------------------------------------


class _InternalErrors(logging.Handler):
    """Collects what tells of a bug in the emulator: its own ERROR logs (a request it failed to
    handle is logged so, and answered 500 / -1000), and asyncio's errors on its thread."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._loggers = [logging.getLogger(_LOGGER), logging.getLogger("asyncio")]

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "asyncio" and record.threadName != _EMULATOR_THREAD:
            return
        self.records.append(record)

    def __enter__(self) -> _InternalErrors:
        for logger in self._loggers:
            logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for logger in self._loggers:
            logger.removeHandler(self)

    def report(self) -> str:
        formatter = logging.Formatter("%(name)s: %(message)s")
        lines = [f"the emulator had {len(self.records)} internal error(s) during the test:"]
        lines += [formatter.format(record) for record in self.records]
        lines.append(
            f"(a bug in the emulator, or in code it calls; @pytest.mark.{MARKER}(strict=False) "
            f"or {_STRICT_INI} = false turns this check off)"
        )
        return "\n".join(lines)


# -- hooks --------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini option ``binance_emulator_strict``."""
    parser.addini(
        _STRICT_INI,
        "fail a test whose binance_emulator logged an internal error (default: true)",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``binance_emulator`` marker (so that ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(accounts=, symbols=, prices=, balances=, positions=, faults=, strict=, "
        "**emulator_kwargs): configure the test's binance_emulator fixture "
        "(binance_usdm_ws.testing.pytest_plugin.EmulatorOptions)",
    )


# -- fixtures -----------------------------------------------------------------------------------


def _uses_clock(request: pytest.FixtureRequest) -> FakeClock | None:
    if "binance_clock" not in request.fixturenames:
        return None
    clock = request.getfixturevalue("binance_clock")
    assert isinstance(clock, FakeClock)
    return clock


def _arm_faults(faults: Faults, spec: Callable[[Faults], object] | Mapping[str, Any]) -> None:
    if callable(spec):
        spec(faults)
        return
    for name, arguments in spec.items():
        method = getattr(faults, name, None)
        if name.startswith("_") or not callable(method):
            raise pytest.UsageError(f"emulator.faults has no method {name!r}")
        if isinstance(arguments, Mapping):
            method(**arguments)
        elif isinstance(arguments, list | tuple):
            method(*arguments)
        else:
            method(arguments)


@pytest.fixture
def binance_clock() -> FakeClock:
    """A :class:`~binance_usdm_ws.testing.FakeClock` (2026-01-01T00:00:00Z); when a test uses
    it, the test's emulator and clients share it."""
    return FakeClock()


@pytest.fixture
def binance_account(request: pytest.FixtureRequest) -> BinanceAccount:
    """The account the client fixtures use: the marker's first ``accounts`` entry, or an API
    key and HMAC secret generated for the test."""
    accounts = EmulatorOptions.from_node(request.node).accounts
    if accounts:
        api_key, api_secret = next(iter(accounts.items()))
        return BinanceAccount(api_key, api_secret)
    return BinanceAccount(secrets.token_hex(32), secrets.token_hex(32))


@pytest.fixture
def binance_emulator(
    request: pytest.FixtureRequest, binance_account: BinanceAccount
) -> Iterator[Emulator]:
    """A fresh emulator for the test, in a thread of its own, knowing ``binance_account`` (and
    the marker's ``accounts``); configured by ``@pytest.mark.binance_emulator(...)``.

    At teardown, fails the test if the emulator logged an internal error (unless
    ``strict=False`` or the ini option ``binance_emulator_strict = false``).
    """
    options = EmulatorOptions.from_node(request.node)
    kwargs = dict(options.emulator_kwargs)
    api_secrets = {binance_account.api_key: binance_account.api_secret, **(options.accounts or {})}
    kwargs["api_keys"] = {
        *api_secrets,
        *kwargs.get("api_keys", ()),
        *kwargs.get("public_keys", {}),
    }
    kwargs["api_secrets"] = {**api_secrets, **kwargs.get("api_secrets", {})}
    if options.symbols is not None:
        kwargs["symbols"] = options.symbols
    if options.balances is not None:
        kwargs["balances"] = options.balances
    if "clock" not in kwargs:
        kwargs["clock"] = _uses_clock(request) or wall_clock_ms
    try:
        emulator = Emulator(**kwargs)
    except TypeError as exc:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: {exc}") from None
    if options.faults is not None:
        _arm_faults(emulator.faults, options.faults)
    strict = options.strict
    if strict is None:
        strict = bool(request.config.getini(_STRICT_INI))
    with _InternalErrors() as errors, emulator:
        for symbol, price in options.prices.items():
            try:
                emulator.set_price(symbol, price)
            except (ValueError, KeyError) as exc:
                raise pytest.UsageError(f"@pytest.mark.{MARKER}(prices=...): {exc}") from None
        for symbol, (amount, entry_price) in options.positions.items():
            emulator.set_position(binance_account.api_key, symbol, amount, entry_price)
        yield emulator
    if strict and errors.records:
        pytest.fail(errors.report(), pytrace=False)


def _async_fixture(function: Callable[..., AsyncIterator[T]]) -> Any:
    """``pytest_asyncio.fixture`` (strict mode needs it); without pytest-asyncio, a fixture
    that fails with the reason."""
    if pytest_asyncio is not None:
        return pytest_asyncio.fixture(function)
    name = function.__name__

    def missing() -> None:
        pytest.fail(f"the {name} fixture needs pytest-asyncio: pip install pytest-asyncio")

    missing.__doc__ = function.__doc__
    return pytest.fixture(name=name)(missing)


@_async_fixture
async def binance_client(
    request: pytest.FixtureRequest, binance_emulator: Emulator, binance_account: BinanceAccount
) -> AsyncIterator[AsyncClient]:
    """A connected :class:`~binance_usdm_ws.AsyncClient` of ``binance_emulator``, signing with
    ``binance_account``'s HMAC secret (on ``binance_clock`` when the test uses it)."""
    async with AsyncClient(
        api_key=binance_account.api_key,
        api_secret=binance_account.api_secret,
        url=binance_emulator.url,
        clock=_uses_clock(request),
    ) as client:
        yield client


@pytest.fixture
def binance_sync_client(
    request: pytest.FixtureRequest, binance_emulator: Emulator, binance_account: BinanceAccount
) -> Iterator[Client]:
    """A connected blocking :class:`~binance_usdm_ws.Client` of ``binance_emulator``, signing
    with ``binance_account``'s HMAC secret (on ``binance_clock`` when the test uses it)."""
    with Client(
        api_key=binance_account.api_key,
        api_secret=binance_account.api_secret,
        url=binance_emulator.url,
        clock=_uses_clock(request),
    ) as client:
        yield client
