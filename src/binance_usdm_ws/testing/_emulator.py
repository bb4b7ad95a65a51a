"""An emulator of the USDⓈ-M Futures WebSocket API: a real websockets server on loopback.

It behaves as the docs (and, where they are silent, observed servers)
describe; the choices made where nothing is documented are marked
*undocumented* below and are switchable where it matters:

- Request envelope: ``id`` is echoed with its JSON type. A frame that is not
  a JSON object, or whose ``id`` is not a signed 64-bit integer, a string
  matching ``^[a-zA-Z0-9-_]{1,36}$`` or null, gets ``"id": null``, status 400
  and code ``envelope_error_code`` (default -1000, seen on ws-fapi; spot uses
  -1135). A non-object ``params`` or a bad ``method`` echo the id. The
  messages follow the form seen on the wire, ``Invalid '<field>' in JSON
  request; …``; the texts for bad JSON and for an unknown method are
  undocumented. The connection stays open after any of these.
- Every method of schema/methods/ is answered; its parameters are checked against
  the generated spec (:mod:`binance_usdm_ws._generated.spec`), in the schema's order:
  a mandatory one not sent, null or empty: -1102 ``Mandatory parameter '%s' was not
  sent, was empty/null, or malformed.``; an either/or pair with neither: -1102
  ``Param '%s' or '%s' must be sent, but both were empty/null!``. *Undocumented
  choices*: a parameter the method does not take: -1103 ``An unknown parameter was
  sent.`` (FACTS §8's UNKNOWN_PARAM; this emulator used to answer -1104); a value of
  the wrong JSON type or outside the enum: -1130 ``Data sent for parameter '%s' is not
  valid.``; an optional one sent null or empty: -1105 ``Parameter '%s' was empty.``.
  DECIMAL parameters are JSON strings in plain notation; JSON numbers are accepted
  too (a docs example sends them). A request failing these checks costs no weight;
  otherwise the weight is charged as the schema says (``depth`` by ``limit``,
  ``ticker.*`` by ``symbol``), before the API key is checked.
- ``userDataStream.start`` creates a listenKey for the API key, or returns
  the active one and extends it to 60 minutes from now; ``ping`` extends and
  returns it; ``stop`` invalidates it and returns ``{}``. ``ping``/``stop``
  with no active key: 400 / -1125 "This listenKey does not exist." (the WS
  status is undocumented; REST uses 400).
- A missing or malformed ``apiKey``: 401 / -2014; a well-formed but unknown
  one: 401 / -2015.
- Signed methods (TRADE, USER_DATA): after the API key, a ``signature`` that is not
  valid gets 400 / -1022 "Signature for this request is not valid."; valid means the
  HMAC-SHA256 of the sorted raw parameters with the key's secret in ``api_secrets``,
  or their RSA or Ed25519 signature checked with the key's ``public_keys`` entry.
  ``verify_signatures=False`` processes signed methods with ``apiKey`` and
  ``timestamp`` only. Then ``timestamp``: -1021 when 1000 ms or more ahead of the
  server, or older than ``recvWindow`` (default 5000).
- ``session.logon`` accepts only Ed25519 signatures (-1022 otherwise, unless
  ``verify_signatures=False``), and logs the connection on with the ``apiKey``. A
  logged-on connection's requests may leave out ``apiKey`` and ``signature`` (they
  still send ``timestamp``). ``session.status`` and ``session.logout`` answer as
  documented (``apiKey`` null when not logged on).
- The price feed: each symbol has a current price that the test moves with
  :meth:`Emulator.set_price`, :meth:`Emulator.step_prices` and
  :meth:`Emulator.replay_trades`. ``depth``, ``ticker.price`` and ``ticker.book`` answer
  from it (:class:`~._exchange.Market`): bids one tick apart below the price, asks above,
  with quantities derived from the symbol name (*undocumented*: a book, not a market).
  An unknown symbol: 400 / -1121 "Invalid symbol."; a ``limit`` outside the docs' list:
  -1130. The mark price is the feed price.
- Symbols and filters: BTCUSDT (50000.00), ETHUSDT (3000.00), BNBUSDT (600.000) by
  default; the tick size (PRICE_FILTER) is the price's last decimal unless ``tickSize`` is
  given, ``stepSize`` (LOT_SIZE) 0.001 (BNBUSDT 0.01), ``minNotional`` 5.0 for all (the
  docs' -4164 text; the real BTCUSDT needs 100). Tests change them on
  ``emulator.market.symbols[name]`` (``tick``, ``step``, ``min_notional``). A price off the
  tick: -4014 "Price not increased by tick size."; a quantity off the step: -4023 "Qty not
  increased by step size."; a notional (quantity × price, MARKET: × the feed price) below
  the minimum: -4164 "Order's notional must be no smaller than <min> (unless you choose
  reduce only)" unless the order reduces a position. An order that does not reduce a
  position needs its initial margin (its notional at the feed price for MARKET, over the
  position's leverage) within the available balance (wallet + unrealized PnL - the initial
  margin of positions and open orders): else -2019 "Margin is insufficient." (*choice*: the
  commission is not reserved). MAX_NUM_ORDERS: at most ``max_orders`` (200) open orders per
  account and symbol, else -2025 "Reach max open order limit.". No PERCENT_PRICE or
  MARKET_LOT_SIZE (*choices*: every order's price is accepted however far from the feed).
- Accounts (:meth:`Emulator.account`): balances (10000 USDT by default) and positions per
  (symbol, position side): ``BOTH`` in one-way mode, ``LONG``/``SHORT`` with
  ``account.hedge_mode = True``; margins at leverage 20 and the feed prices.
  *Undocumented choices*: ``account.position`` and ``account.status`` list every symbol
  (both sides in hedge mode), their v2 twins only the positions held (any symbol named by
  ``symbol``); ``breakEvenPrice`` is the entry price; margin type cross.
- ``order.place`` (LIMIT and MARKET): conditional types: -4120 (its message is
  *undocumented*); in one-way mode a ``positionSide`` other than BOTH, in hedge mode one
  other than LONG/SHORT: -4061; ``reduceOnly`` in hedge mode and ``closePosition=true``
  on order.place: -1106 "Parameter '%s' sent when not required." (*choice*); a bad or
  duplicate (among open orders) ``newClientOrderId``: -4015 / -4116, checked before the
  filters; LIMIT without ``timeInForce``/``price``: -1102; ``price`` with ``priceMatch``:
  -1128 (``priceMatch`` OPPONENT[_5/10/20] takes that level of the other side, QUEUE[_n]
  of its own side); ``price``/``timeInForce`` on MARKET: -1106; GTD without
  ``goodTillDate``: -1102, with one not after now + 600 s or not before 253402300799000:
  -5040 (the docs' text); its milliseconds are dropped. ``reduceOnly`` with no position on
  the other side, and in hedge mode a close (SELL LONG, BUY SHORT) larger than the
  position: -2022 "ReduceOnly Order is rejected.".
- Matching. A LIMIT order is marketable when the feed price is at or through its price
  (BUY: price ≥ feed; SELL: ≤); a marketable order or a MARKET order takes at the feed
  price (MARKET: moved by ``slippage``, rounded to the tick away from the feed) as taker.
  With ``liquidity`` set, a taker gets that quantity at the first price and walks one tick
  further for each further such quantity (no further than a LIMIT's price; at most 1000
  levels): each level is a separate trade. The book does not remember what a taker took
  (*choice*). What is left: GTC/GTD/GTX rest; IOC expires (``er`` 2); MARKET expires
  (``er`` 9, only when 1000 levels were not enough). FOK that cannot fill completely now:
  -5021, GTX that would take: -5022 (the error page's texts; nothing is recorded and no
  event is sent: *choice*). A resting order fills as maker at its own price when a price
  move reaches it (at or through); with ``liquidity`` each price level gives that much per
  move, shared by its orders best price first then time priority; ``replay_trades``
  instead fills up to each trade's quantity. A reducing order (``reduceOnly``, a
  hedge-mode close, a ``closePosition`` trigger) fills no more than the position; with
  none left it expires (``er`` 4). GTD orders expire (``er`` 0) once the clock reaches
  ``goodTillDate``, checked on each price move and each request. No self-trade prevention
  (the account is the only participant): ``selfTradePreventionMode`` is only echoed.
- ``newOrderRespType``: ACK (the default) replies with the order as accepted (NEW, nothing
  executed, even if it filled at once); RESULT with its state after matching (FILLED or
  EXPIRED for MARKET, IOC and FOK).
- Fills: commission = price × quantity × the maker or taker rate (``commission``; default
  0.0002 / 0.0005), in USDT, rounded half-even to 8 decimals. Positions use average cost:
  an increase moves the entry price to the weighted average (rounded half-even to 8
  decimals); a decrease realizes ``(price - entry) × closed`` (negated for a short;
  rounded alike) and a reversal opens the rest at the fill price. The wallet balance moves
  by realized PnL less commission; unrealized PnL is ``(mark - entry) × amount``.
- ``order.status`` finds any order of the account (by ``orderId``; by
  ``origClientOrderId`` the latest with that id); unknown: -2013. ``order.cancel`` of one
  not open: -2011. ``order.modify`` (LIMIT only, else -5025): not open: -2013; a side
  other than the order's: -1130; a new price or quantity off the filters: -4014 / -4023 /
  -5029 and the order stays; the same price and quantity: -5027; after 10000
  modifications: -5026; a quantity at or below what executed, or a GTX order re-priced to
  take: cancelled; otherwise amended (an AMENDMENT event, time priority renewed, STP mode
  reset to NONE) and, if now marketable, matched as a taker.
- ``algoOrder.place`` (``algoType`` CONDITIONAL): ``triggerPrice`` is mandatory except for
  TRAILING_STOP_MARKET (which needs ``callbackRate`` 0.1-10, else -1130), ``price`` for
  STOP/TAKE_PROFIT; the tick and step filters apply; a trigger already met: -2021 "Order
  would immediately trigger." (STOP/STOP_MARKET BUY fire at feed ≥ trigger, SELL ≤;
  TAKE_PROFIT[_MARKET] BUY ≤, SELL ≥; workingType MARK_PRICE reads the same feed).
  ``closePosition=true``: only with STOP_MARKET/TAKE_PROFIT_MARKET (else -1106), with
  ``quantity``: -4137, with ``reduceOnly``: -1106, in hedge mode on an opening side: -1128
  (*choices*). A trailing stop activates when the feed reaches ``activatePrice`` (default:
  the price when placed; one already passed: -2021), then fires when the price comes back
  ``callbackRate`` % from the extreme since activation. On a price move an algo order
  fires: ALGO_UPDATE TRIGGERING, the order (MARKET, or LIMIT at ``price`` for
  STOP/TAKE_PROFIT; its ``origType`` and ``ot`` are the algo type, ``stopPrice``/``sp`` the
  trigger, a generated clientOrderId) with its NEW event, ALGO_UPDATE TRIGGERED (``ai``
  its id, ``act`` its type), its fills, and ALGO_UPDATE FINISHED once it is filled,
  cancelled or expired. Whether a reducing algo order (``reduceOnly``, ``closePosition``,
  a hedge-mode close) has a position to reduce is checked when it fires, not when placed:
  with nothing to close (or, in hedge mode, less than its quantity) it ends ALGO_UPDATE
  REJECTED with ``rm`` the reason ("ReduceOnly Order is rejected.").
  ``algoOrder.cancel`` of one not NEW: -2011. A 201st algo order waiting: -4045 "Reach
  max stop order limit.". A triggered FOK order that cannot fill completely expires.
- ``order.place`` and ``order.modify`` count against the account's ORDERS limits (300 per
  10 s, 1200 per minute: ``order_limits``), shown in their ``rateLimits``; over a limit:
  429 / -1015.
- User data events (on the account's stream, :attr:`Emulator.streams`): every accepted
  order: ORDER_TRADE_UPDATE ``x``/``X`` NEW; each fill: TRADE_LITE, then
  ORDER_TRADE_UPDATE TRADE (PARTIALLY_FILLED or FILLED; ``l``/``L`` the fill, ``z``/``ap``
  cumulative, ``n``/``N`` the commission (left out when zero), ``rp`` the realized PnL,
  ``t`` the trade id, ``m`` maker), then ACCOUNT_UPDATE (reason ORDER) with the USDT
  balance (``bc`` 0: it excludes PnL and commission) and the one position changed (*order
  of the three undocumented*); CANCELED, EXPIRED (``er`` as above) and AMENDMENT; and
  ALGO_UPDATE for each algo status. ``b``/``a`` are the bid/ask notional of the
  account's open orders on the symbol and side after the change; ``T``/``E`` the clock.
  A request's events are pushed after its reply is sent (with ``hold_replies`` they are
  not held). A price move's events are pushed
  before ``set_price`` returns when the emulator runs in a thread of its own; called on
  the emulator's event loop, they are queued in order and pushed by a task
  (``await emulator.flush_events()`` waits for them). An emulator that is not started
  keeps its events in ``emulator.engine.outbox``.
Time comes from an injectable clock (``clock=FakeClock()``), so tests make keys
expire without sleeping, and skew the server's clock from the client's
(``clock=lambda: fake() + 2000``: the client 2 s behind).

The user data streams of the listenKeys (``/ws/<listenKey>``,
``/private/ws/<listenKey>``, ``/private/ws?listenKey=``) are served on the same
port by :attr:`Emulator.streams` (see :mod:`._streams`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import ssl as _ssl
import string
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .._core.log import ApiKeyRedactor
from .._generated import models as _models
from .._generated.methods import METHODS
from .._generated.spec import SPECS, MethodSpec
from .._io.loop_thread import LoopThread
from ..errors import redact
from ._clock import wall_clock_ms
from ._exchange import DEFAULT_BALANCES, DEFAULT_SYMBOLS, Account, Accounts, Market, Position
from ._faults import Faults
from ._matching import DEFAULT_COMMISSION, Engine
from ._streams import UserStreams
from ._wire import Reject as _Reject
from ._wire import (
    check_params,
    hmac_signature,
    is_ed25519,
    load_public_key,
    verify_key_signature,
)

__all__ = ["Emulator"]

logger = logging.getLogger("binance_usdm_ws.testing")
# The server's frame logs would show the API keys clients send; redact them as the client does.
_server_logger = logging.getLogger("binance_usdm_ws.testing.websockets")
_server_logger.addFilter(ApiKeyRedactor())

LISTEN_KEY_TTL_MS = 60 * 60 * 1000
HANDSHAKE_WEIGHT = 5
_ID_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,36}")
_API_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
_INT64 = range(-(2**63), 2**63)
_LISTEN_KEY_ALPHABET = string.ascii_letters + string.digits
_BAD_ID_MSG = (
    "Invalid 'id' in JSON request; expected an integer, "
    "a string matching '^[a-zA-Z0-9-_]{1,36}$', or null."
)
_SIGNED = frozenset({"TRADE", "USER_DATA"})
_ORDER_METHODS = frozenset({"order.place", "order.modify"})
_INVALID_SIGNATURE = _Reject(400, -1022, "Signature for this request is not valid.")
_TOO_MANY_REQUESTS_MSG = (
    "Too many requests; current limit is {limit} requests per minute. "
    "Please use the websocket for live updates to avoid polling the API."
)


@attrs.define
class _ListenKey:
    key: str
    expires_at_ms: int


class ListenKeys:
    """The emulator's listenKeys by API key: what its methods change and its streams serve."""

    def __init__(self, clock: Callable[[], int]) -> None:
        self._clock = clock
        self._entries: dict[str, _ListenKey] = {}

    def active(self, api_key: str) -> _ListenKey | None:
        """The API key's listenKey, unless it expired (then it is dropped)."""
        entry = self._entries.get(api_key)
        if entry is not None and entry.expires_at_ms <= self._clock():
            del self._entries[api_key]
            return None
        return entry

    def is_current(self, api_key: str, entry: _ListenKey) -> bool:
        """Whether ``entry`` is still the API key's (not stopped or deleted; maybe expired)."""
        return self._entries.get(api_key) is entry

    def owner(self, listen_key: str) -> tuple[str, _ListenKey] | None:
        """The API key whose active listenKey is ``listen_key``, and its entry."""
        for api_key, entry in list(self._entries.items()):
            if entry.key == listen_key and self.active(api_key) is entry:
                return api_key, entry
        return None

    def start(self, api_key: str) -> _ListenKey:
        """The active key with its validity renewed, or a new one."""
        entry = self.active(api_key)
        expires = self._clock() + LISTEN_KEY_TTL_MS
        if entry is None:
            key = "".join(secrets.choice(_LISTEN_KEY_ALPHABET) for _ in range(64))
            entry = self._entries[api_key] = _ListenKey(key, expires)
        else:
            entry.expires_at_ms = expires
        return entry

    def remove(self, api_key: str) -> None:
        self._entries.pop(api_key, None)


@attrs.define
class _Session:
    """Per-connection state."""

    return_rate_limits: bool
    connected_since_ms: int
    api_key: str | None = None
    """The API key of ``session.logon``, until ``session.logout``."""
    authorized_since_ms: int | None = None


@attrs.define
class _Call:
    """One request being answered."""

    session: _Session
    method: str
    params: dict[str, Any]
    """The parameters, without ``returnRateLimits``."""
    sent: dict[str, Any]
    """The parameters as sent (what a signature covers)."""
    api_key: str | None = None
    """Set once the request's API key is authenticated."""


Handler = Callable[["Emulator", _Call], Any]


class Emulator:
    """A local stand-in for ``wss://ws-fapi.binance.com/ws-fapi/v1``.

    Use it as an async context manager::

        async with Emulator(api_keys={"k1", "k2"}) as emu:
            async with AsyncClient(api_key="k1", url=emu.url) as client:
                await client.user_data_stream.start()

    or, for blocking code, as a plain context manager, which runs it in a
    thread of its own: ``with Emulator(api_keys={"k1"}) as emu: ...``.

    It is a paper exchange: orders match against a price feed the test moves, and every
    change reaches the account's user data stream::

        placed = await client.order.place(symbol="BTCUSDT", side="BUY", type="LIMIT",
                                          time_in_force="GTC", quantity=Decimal("0.01"),
                                          price=Decimal("49900"))
        emu.set_price("BTCUSDT", "49900")   # the order fills (as maker)
        emu.account("k1").hedge_mode = True  # LONG/SHORT positions from now on

    Args:
        api_keys: the API keys the server knows; others get -2015.
        host: interface to listen on (loopback by default).
        port: TCP port; 0 picks a free one (read it back from :attr:`url`).
        clock: epoch-milliseconds clock; defaults to the system clock.
        weight_limit: REQUEST_WEIGHT allowed per minute.
        envelope_error_code: error code of malformed-envelope replies.
        ssl: a server TLS context, to serve ``wss://``.
        symbols: the symbols of the market: each name to its last price (the decimals of
            a price are its tick size), or to a mapping with ``price`` and optionally
            ``tickSize``, ``stepSize`` (default 0.001) and ``minNotional`` (default 5.0);
            default BTCUSDT, ETHUSDT and BNBUSDT (see ``_exchange.DEFAULT_SYMBOLS``).
        balances: each new account's wallet balances (default 10000 USDT).
        verify_signatures: when True (the default), a TRADE or USER_DATA request without a
            valid ``signature`` gets 400 / -1022. False: signed methods are processed with
            ``apiKey`` and ``timestamp`` only (a ``signature`` sent is not checked).
        api_secrets: HMAC secret keys by API key: a ``signature`` that is the HMAC-SHA256 of
            the sorted parameters (FACTS §7.2) is valid.
        public_keys: RSA or Ed25519 public keys (PEM) by API key, to verify the base64
            signatures of the sorted parameters (needs the ``crypto`` extra).
        liquidity: the quantity available at each price level on each price move: resting
            orders at one price share it (the rest waits for the next move), and a taker
            walks one tick further for each such quantity. ``None`` (the default):
            unlimited, every crossed order fills completely in one trade.
        slippage: the fraction of the price a MARKET order pays beyond the feed price
            (BUY above, SELL below, rounded to the tick away from it); default 0.
        commission: the (maker, taker) commission rates; default (0.0002, 0.0005).
    """

    def __init__(
        self,
        api_keys: Iterable[str] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], int] = wall_clock_ms,
        weight_limit: int = 2400,
        envelope_error_code: int = -1000,
        ssl: _ssl.SSLContext | None = None,
        symbols: Mapping[str, Any] = DEFAULT_SYMBOLS,
        balances: Mapping[str, Decimal | str] = DEFAULT_BALANCES,
        verify_signatures: bool = True,
        api_secrets: Mapping[str, str] | None = None,
        public_keys: Mapping[str, str | bytes] | None = None,
        liquidity: Decimal | str | None = None,
        slippage: Decimal | str = Decimal(0),
        commission: tuple[Decimal | str, Decimal | str] = DEFAULT_COMMISSION,
    ) -> None:
        self.api_keys: set[str] = set(api_keys)
        self.clock = clock
        self.faults = Faults(clock)
        """Switchable faults (see :class:`~binance_usdm_ws.testing.Faults`)."""
        self.weight_limit = weight_limit
        self.envelope_error_code = envelope_error_code
        self.calls: Counter[str] = Counter()
        """How many requests each method has answered (any status)."""
        self.errors: Counter[int] = Counter()
        """How many error replies of each code the emulator has sent."""
        self.connections_accepted = 0
        """How many WebSocket connections the emulator has accepted."""
        self.requests: deque[dict[str, Any]] = deque(maxlen=1000)
        """The last 1000 requests that parsed as JSON objects, as received."""
        self._host = host
        self._port = port
        self._ssl = ssl
        self._server: Server | None = None
        self._thread: LoopThread | None = None
        self._listen_keys = ListenKeys(lambda: self.clock())
        self._weight_window = -1
        self._weight_used = 0
        self._hold = False
        self._held: list[tuple[ServerConnection, str]] = []
        self._held_changed = asyncio.Event()
        self.verify_signatures = verify_signatures
        """False: signed methods need no ``signature`` (the stand-in until the SDK signs)."""
        self.api_secrets: dict[str, str] = dict(api_secrets or {})
        """HMAC secret keys by API key, to verify ``signature``."""
        self.public_keys: dict[str, Any] = {
            k: load_public_key(pem) for k, pem in (public_keys or {}).items()
        }
        """RSA and Ed25519 public keys (``cryptography`` objects) by API key."""
        self.order_limits = {10: 300, 60: 1200}
        """ORDERS allowed per account in each window of so many seconds."""
        self._order_counts: dict[tuple[str, int, int], int] = {}
        self.market = Market(symbols, lambda: self.clock())
        """The deterministic order books that ``depth`` and ``ticker.*`` answer from."""
        self._accounts = Accounts(self.market, lambda: self.clock(), balances)
        self.engine = Engine(
            self.market,
            self._accounts,
            lambda: self.clock(),
            liquidity=liquidity,
            slippage=slippage,
            commission=commission,
        )
        """The matching engine (its ``liquidity``, ``slippage``, ``maker_rate`` and
        ``taker_rate`` may be changed)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_lock: asyncio.Lock | None = None
        self._flush_tasks: set[asyncio.Task[None]] = set()
        self.streams = UserStreams(self, self._listen_keys)
        """The user data streams: ``await emulator.streams.push(api_key, event)``."""

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> Emulator:
        """Start listening; return self."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._flush_lock = loop, asyncio.Lock()
        if self._server is None:
            self._server = await serve(
                self._serve,
                self._host,
                self._port,
                process_request=self._process_request,
                compression=None,
                ping_interval=None,
                logger=_server_logger,
                ssl=self._ssl,
            )
            # A restart after stop() comes back on the same port, as a real server would.
            self._port = self.port
        return self

    async def stop(self) -> None:
        """Close every connection (close code 1001) and stop listening.

        The emulator keeps its state (API keys, listenKeys, counters): calling
        :meth:`start` again is a server restart, on the same port.
        """
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    def __enter__(self) -> Emulator:
        """Run the emulator on an event loop in a thread of its own (for blocking tests)."""
        if self._thread is None:
            self._thread = LoopThread("binance_usdm_ws emulator")
        self._thread.start()
        return self._thread.run(self.start())

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None and self._thread.running:
            self._thread.run(self.stop())
            self._thread.stop()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>/ws-fapi/v1`` (``wss://`` with ``ssl``): the client's ``url``."""
        scheme = "wss" if self._ssl is not None else "ws"
        return f"{scheme}://{self._host}:{self.port}/ws-fapi/v1"

    # -- what tests inspect and change -----------------------------------------------------

    def listen_key(self, api_key: str) -> str | None:
        """The API key's active listenKey, or ``None`` (never started, stopped or expired)."""
        entry = self._listen_keys.active(api_key)
        return entry.key if entry else None

    def listen_key_expires_at(self, api_key: str) -> int | None:
        """When the API key's active listenKey expires, in epoch ms, or ``None``."""
        entry = self._listen_keys.active(api_key)
        return entry.expires_at_ms if entry else None

    def account(self, api_key: str) -> Account:
        """The API key's account (balances, positions, orders), created on first use."""
        return self._accounts.account(api_key)

    def set_position(
        self,
        api_key: str,
        symbol: str,
        amount: Decimal | str,
        entry_price: Decimal | str,
        *,
        leverage: int = 20,
        position_side: str = "BOTH",
    ) -> None:
        """Give the account a position (``amount`` negative: short; 0: none); in hedge mode
        name its ``position_side`` (LONG or SHORT)."""
        if symbol not in self.market.symbols:
            raise ValueError(f"the emulator has no symbol {symbol!r}")
        self.account(api_key).positions[(symbol, position_side)] = Position(
            Decimal(amount), Decimal(entry_price), leverage, self.clock()
        )

    # -- the price feed --------------------------------------------------------------------

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        """Move ``symbol``'s price to ``price``: resting orders it reaches fill (up to
        ``liquidity`` per level), algo orders trigger, GTD orders past their time expire;
        ``depth`` and ``ticker.*`` answer around the new price.

        A plain method for async and blocking tests alike. With the emulator in a thread of
        its own (``with Emulator(...)``) the work runs on that thread and the user data
        events it makes are pushed before this returns; called on the emulator's event
        loop, they are queued in order and pushed by a task (``await flush_events()``
        waits for them).
        """
        value = Decimal(price)
        self._on_loop(lambda: self.engine.set_price(symbol, value))

    def step_prices(self, symbol: str, prices: Iterable[Decimal | str]) -> None:
        """:meth:`set_price` for each of ``prices`` in turn."""
        values = [Decimal(p) for p in prices]

        def steps() -> None:
            for value in values:
                self.engine.set_price(symbol, value)

        self._on_loop(steps)

    def replay_trades(
        self, symbol: str, trades: Iterable[tuple[Decimal | str, Decimal | str]]
    ) -> None:
        """Replay market trades ``(price, quantity)`` in turn: each moves the price there and
        fills the resting orders at or through it, best price first then time priority, up
        to its quantity in all (``liquidity`` does not apply); then as :meth:`set_price`."""
        values = [(Decimal(p), Decimal(q)) for p, q in trades]

        def replay() -> None:
            for price, quantity in values:
                self.engine.replay_trade(symbol, price, quantity)

        self._on_loop(replay)

    async def flush_events(self) -> None:
        """Wait until every user data event made so far has been pushed (on the emulator's
        loop)."""
        if self._flush_lock is None:  # never started: the events stay in engine.outbox
            return
        async with self._flush_lock:
            outbox = self.engine.outbox
            while outbox:
                api_key, event = outbox.popleft()
                await self.streams.push(api_key, event)

    def _on_loop(self, work: Callable[[], None]) -> None:
        """Run ``work`` where the emulator's state lives, then get its events pushed."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        thread = self._thread
        if thread is not None and thread.running and running is not self._loop:

            async def on_thread() -> None:
                work()
                await self.flush_events()

            thread.run(on_thread())
            return
        work()
        self._events_soon()

    def _events_soon(self) -> None:
        """Schedule the queued events' push on the running loop."""
        if not self.engine.outbox or self._server is None:
            return  # not started: the events stay in engine.outbox, for tests to read
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - the server runs on a loop
            return
        task = loop.create_task(self.flush_events())
        self._flush_tasks.add(task)
        task.add_done_callback(self._flush_tasks.discard)

    def delete_listen_key(self, api_key: str) -> None:
        """Invalidate the API key's listenKey server-side, as if it had expired."""
        self._listen_keys.remove(api_key)

    async def drop_connections(self, code: int = 1011, reason: str = "") -> None:
        """Close every client connection with ``code``; the server keeps listening."""
        if self._server is None:
            return
        connections = list(self._server.connections)
        await asyncio.gather(*(ws.close(code, reason) for ws in connections))

    def hold_replies(self) -> None:
        """Stop sending replies: requests are still read and answered, but the replies wait."""
        self._hold = True

    async def wait_held(self, count: int) -> None:
        """Wait until at least ``count`` replies are held."""
        while len(self._held) < count:
            self._held_changed.clear()
            await self._held_changed.wait()

    async def release_replies(self) -> None:
        """Send every held reply, in order (through any armed faults), and stop holding."""
        self._hold = False
        held, self._held = self._held, []
        for ws, text in held:
            await self.faults.deliver(ws, text)

    # -- the server ------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.streams.handles(request.path):
            return self.streams.process_request(connection, request)
        parts = urlsplit(request.path)
        if parts.path != "/ws-fapi/v1":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not found.\n")
        flag = parse_qs(parts.query).get("returnRateLimits", ["true"])[-1]
        if flag not in ("true", "false"):
            return connection.respond(HTTPStatus.BAD_REQUEST, "Invalid returnRateLimits.\n")
        return None

    async def _serve(self, ws: ServerConnection) -> None:
        if ws.request is not None and self.streams.handles(ws.request.path):
            return await self.streams.serve(ws)
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        session = _Session(
            return_rate_limits=query.get("returnRateLimits", ["true"])[-1] == "true",
            connected_since_ms=self.clock(),
        )
        self._charge(HANDSHAKE_WEIGHT)
        self.connections_accepted += 1
        self.faults.on_connect(ws)
        try:
            async for frame in ws:
                reply = self.handle(session, frame)
                if self._hold:
                    self._held.append((ws, reply))
                    self._held_changed.set()
                else:
                    await self.faults.deliver(ws, reply)
                if self.engine.outbox:  # the request's events, after its reply
                    await self.flush_events()
        except ConnectionClosed:
            pass

    def handle(self, session: _Session, frame: str | bytes) -> str:
        """Answer one frame (the server's whole request logic; no I/O)."""
        request_id: Any = None
        return_rate_limits = session.return_rate_limits
        order_key: str | None = None
        try:
            message = self._parse(frame)
            request_id = message["id"]
            method_name = message.get("method")
            if not isinstance(method_name, str) or not method_name:
                raise _Reject(
                    400,
                    self.envelope_error_code,
                    "Invalid 'method' in JSON request; expected a string.",
                )
            params = message.get("params", {})
            if not isinstance(params, dict):
                raise _Reject(
                    400,
                    self.envelope_error_code,
                    "Invalid 'params' in JSON request; expected an object.",
                )
            spec = SPECS.get(method_name)
            if spec is None:
                raise _Reject(400, self.envelope_error_code, f"Unknown method '{method_name}'.")
            self.calls[method_name] += 1
            failure = self.faults.override(request_id, method_name)
            if failure is not None:
                return failure
            call = _Call(session, method_name, dict(params), dict(params))
            params = call.params
            override = params.pop("returnRateLimits", None)
            if override is not None:
                if not isinstance(override, bool):
                    raise _Reject(
                        400, -1130, "Data sent for parameter 'returnRateLimits' is not valid."
                    )
                return_rate_limits = override
            unread = set(params) - set(spec.params)
            if unread:
                raise _Reject(400, -1103, "An unknown parameter was sent.")
            check_params(spec, params)
            if not self._charge(METHODS[method_name].weight_of(params)):
                raise _Reject(429, -1003, _TOO_MANY_REQUESTS_MSG.format(limit=self.weight_limit))
            self._authorize(call, spec)
            self.engine.expire_due()
            if method_name in _ORDER_METHODS and call.api_key is not None:
                order_key = call.api_key
                self._count_order(order_key)
            result = _HANDLERS[method_name](self, call)
            reply: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
        except _Reject as rejection:
            self.errors[rejection.code] += 1
            reply = {
                "id": request_id,
                "status": rejection.status,
                "error": {"code": rejection.code, "msg": rejection.msg},
            }
        except Exception:  # a bug in the emulator: answer as the server does, and stay up
            logger.exception("the emulator failed to handle a request")
            self.errors[-1000] += 1
            reply = {
                "id": request_id,
                "status": 500,
                "error": {
                    "code": -1000,
                    "msg": "An unknown error occurred while processing the request.",
                },
            }
        if return_rate_limits:
            reply["rateLimits"] = [self._weight_usage()]
            if order_key is not None:
                reply["rateLimits"].extend(self._order_usage(order_key))
        return json.dumps(reply, separators=(",", ":"))

    def _parse(self, frame: str | bytes) -> dict[str, Any]:
        if not isinstance(frame, str):
            raise _Reject(
                400,
                self.envelope_error_code,
                "Invalid JSON request; expected a JSON object in a text frame.",
            )
        try:
            message = json.loads(frame)
        except (ValueError, RecursionError):
            raise _Reject(
                400, self.envelope_error_code, "Invalid JSON request; the frame is not valid JSON."
            ) from None
        if not isinstance(message, dict):
            raise _Reject(
                400, self.envelope_error_code, "Invalid JSON request; expected a JSON object."
            )
        self.requests.append(message)
        request_id = message.get("id", ...)
        valid = (
            request_id is None
            or (type(request_id) is int and request_id in _INT64)
            or (isinstance(request_id, str) and _ID_PATTERN.fullmatch(request_id) is not None)
        )
        if not valid:
            raise _Reject(400, self.envelope_error_code, _BAD_ID_MSG)
        return message

    def _charge(self, weight: int) -> bool:
        """Count ``weight`` in the current minute; False (and nothing counted) over the limit."""
        window = self.clock() // 60_000
        if window != self._weight_window:
            self._weight_window, self._weight_used = window, 0
        if self._weight_used + weight > self.weight_limit:
            return False
        self._weight_used += weight
        return True

    def _weight_usage(self) -> dict[str, Any]:
        if self.clock() // 60_000 != self._weight_window:
            self._weight_window, self._weight_used = self.clock() // 60_000, 0
        return {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": self.weight_limit,
            "count": self._weight_used,
        }

    # -- API keys and listenKeys -----------------------------------------------------------

    def _order_usage(self, api_key: str) -> list[dict[str, Any]]:
        return [
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND" if seconds < 60 else "MINUTE",
                "intervalNum": seconds if seconds < 60 else seconds // 60,
                "limit": limit,
                "count": self._order_counts.get(
                    (api_key, seconds, self.clock() // (seconds * 1000)), 0
                ),
            }
            for seconds, limit in self.order_limits.items()
        ]

    def _count_order(self, api_key: str) -> None:
        """Count one order for the account in every ORDERS window; -1015 over a limit."""
        windows = [
            ((api_key, seconds, self.clock() // (seconds * 1000)), seconds, limit)
            for seconds, limit in self.order_limits.items()
        ]
        for window, seconds, limit in windows:
            if self._order_counts.get(window, 0) >= limit:
                interval = f"{seconds} SECOND" if seconds < 60 else f"{seconds // 60} MINUTE"
                raise _Reject(
                    429,
                    -1015,
                    f"Too many new orders; current limit is {limit} orders per {interval}.",
                )
        stale = [
            w for w in self._order_counts if w[0] == api_key and w not in {x for x, _, _ in windows}
        ]
        for window in stale:
            del self._order_counts[window]
        for window, _, _ in windows:
            self._order_counts[window] = self._order_counts.get(window, 0) + 1

    # -- API keys and listenKeys -----------------------------------------------------------

    def _authenticate(self, params: dict[str, Any]) -> str:
        api_key = params.get("apiKey")
        if not isinstance(api_key, str) or _API_KEY_PATTERN.fullmatch(api_key) is None:
            raise _Reject(401, -2014, "API-key format invalid.")
        if api_key not in self.api_keys:
            logger.debug("rejected unknown API key %s", redact(api_key))
            raise _Reject(401, -2015, "Invalid API-key, IP, or permissions for action.")
        return api_key

    def _authorize(self, call: _Call, spec: MethodSpec) -> None:
        """Authenticate the request as its security type says; sets ``call.api_key``.

        A session logged on answers for ``apiKey`` and ``signature`` when the request sends
        no ``apiKey`` (FACTS §7.2.6); otherwise the request's own are checked.
        """
        signed = spec.security in _SIGNED
        if "apiKey" not in spec.params:
            return
        session = call.session
        if "apiKey" not in call.params and session.api_key is not None:
            if session.api_key not in self.api_keys:  # revoked since the logon
                raise _Reject(401, -2015, "Invalid API-key, IP, or permissions for action.")
            call.api_key = session.api_key
        else:
            call.api_key = self._authenticate(call.params)
            if signed and self.verify_signatures:
                self._verify_signature(call)
        if signed:
            self._check_timestamp(call.params)

    def _verify_signature(self, call: _Call) -> None:
        signature = call.params.get("signature")
        secret = self.api_secrets.get(call.api_key or "")
        key = self.public_keys.get(call.api_key or "")
        if not isinstance(signature, str):
            raise _INVALID_SIGNATURE
        if call.method == "session.logon":  # Ed25519 only
            secret = None
            key = key if is_ed25519(key) else None
        if secret is not None and signature.lower() == hmac_signature(secret, call.sent):
            return
        if key is None or not verify_key_signature(key, signature, call.sent):
            raise _INVALID_SIGNATURE

    def _check_timestamp(self, params: dict[str, Any]) -> None:
        now, timestamp = self.clock(), params["timestamp"]
        if timestamp >= now + 1000:
            raise _Reject(
                400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if now - timestamp > params.get("recvWindow", 5000):
            raise _Reject(400, -1021, "Timestamp for this request is outside of the recvWindow.")

    def _key(self, call: _Call) -> str:
        if call.api_key is None:  # pragma: no cover - _authorize sets it for these methods
            raise _Reject(401, -2014, "API-key format invalid.")
        return call.api_key

    def _start(self, call: _Call) -> dict[str, Any]:
        return {"listenKey": self._listen_keys.start(self._key(call)).key}

    def _ping(self, call: _Call) -> dict[str, Any]:
        entry = self._listen_keys.active(self._key(call))
        if entry is None:
            raise _Reject(400, -1125, "This listenKey does not exist.")
        entry.expires_at_ms = self.clock() + LISTEN_KEY_TTL_MS
        return {"listenKey": entry.key}

    def _stop(self, call: _Call) -> dict[str, Any]:
        api_key = self._key(call)
        if self._listen_keys.active(api_key) is None:
            raise _Reject(400, -1125, "This listenKey does not exist.")
        self._listen_keys.remove(api_key)
        return {}

    # -- session ---------------------------------------------------------------------------

    def _session_result(self, session: _Session) -> dict[str, Any]:
        return {
            "apiKey": session.api_key,
            "authorizedSince": session.authorized_since_ms,
            "connectedSince": session.connected_since_ms,
            "returnRateLimits": session.return_rate_limits,
            "serverTime": self.clock(),
        }

    def _session_status(self, call: _Call) -> dict[str, Any]:
        return self._session_result(call.session)

    def _session_logon(self, call: _Call) -> dict[str, Any]:
        call.session.api_key = self._key(call)
        call.session.authorized_since_ms = self.clock()
        return self._session_result(call.session)

    def _session_logout(self, call: _Call) -> dict[str, Any]:
        call.session.api_key = call.session.authorized_since_ms = None
        return self._session_result(call.session)

    # -- market data -----------------------------------------------------------------------

    def _depth(self, call: _Call) -> Any:
        return self.market.depth(call.params)

    def _ticker_price(self, call: _Call) -> Any:
        return self.market.ticker_price(call.params)

    def _ticker_book(self, call: _Call) -> Any:
        return self.market.ticker_book(call.params)

    # -- account and orders ----------------------------------------------------------------

    def _account_balance(self, call: _Call) -> Any:
        return self._accounts.balance(self._key(call), _models.AccountBalanceItem)

    def _account_balance_v2(self, call: _Call) -> Any:
        return self._accounts.balance(self._key(call), _models.AccountBalanceV2Item)

    def _account_status(self, call: _Call) -> Any:
        return self._accounts.status(self._key(call), v2=False)

    def _account_status_v2(self, call: _Call) -> Any:
        return self._accounts.status(self._key(call), v2=True)

    def _account_position(self, call: _Call) -> Any:
        return self._accounts.positions(self._key(call), call.params, v2=False)

    def _account_position_v2(self, call: _Call) -> Any:
        return self._accounts.positions(self._key(call), call.params, v2=True)

    def _order_place(self, call: _Call) -> Any:
        return self.engine.place(self._key(call), call.params)

    def _order_status(self, call: _Call) -> Any:
        return self.engine.query(self._key(call), call.params)

    def _order_cancel(self, call: _Call) -> Any:
        return self.engine.cancel(self._key(call), call.params)

    def _order_modify(self, call: _Call) -> Any:
        return self.engine.modify(self._key(call), call.params)

    def _algo_order_place(self, call: _Call) -> Any:
        return self.engine.place_algo(self._key(call), call.params)

    def _algo_order_cancel(self, call: _Call) -> Any:
        return self.engine.cancel_algo(self._key(call), call.params)


_HANDLERS: dict[str, Handler] = {
    "userDataStream.start": Emulator._start,
    "userDataStream.ping": Emulator._ping,
    "userDataStream.stop": Emulator._stop,
    "session.status": Emulator._session_status,
    "session.logon": Emulator._session_logon,
    "session.logout": Emulator._session_logout,
    "depth": Emulator._depth,
    "ticker.price": Emulator._ticker_price,
    "ticker.book": Emulator._ticker_book,
    "account.balance": Emulator._account_balance,
    "v2/account.balance": Emulator._account_balance_v2,
    "account.status": Emulator._account_status,
    "v2/account.status": Emulator._account_status_v2,
    "account.position": Emulator._account_position,
    "v2/account.position": Emulator._account_position_v2,
    "order.place": Emulator._order_place,
    "order.status": Emulator._order_status,
    "order.cancel": Emulator._order_cancel,
    "order.modify": Emulator._order_modify,
    "algoOrder.place": Emulator._algo_order_place,
    "algoOrder.cancel": Emulator._algo_order_cancel,
}
"""What answers each wire method: one for every method in the generated spec."""
