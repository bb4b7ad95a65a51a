"""The emulator's market and accounts: a price feed with deterministic books per symbol
(with its trading filters), and an in-memory account (balances, positions per side, orders,
algo orders) per API key.

What changes them (placing, matching, filling) is :mod:`._matching`; this module holds the
state and answers the account methods from it. Replies are projected onto the generated
result models' fields, so they carry exactly the fields the SDK decodes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

import attrs

from .._generated import models as _models
from ._wire import Reject, not_valid

__all__ = [
    "DEFAULT_SYMBOLS",
    "Account",
    "Accounts",
    "Market",
    "Order",
    "Position",
    "Symbol",
    "project",
]

DEFAULT_SYMBOLS: Mapping[str, Mapping[str, str]] = {
    "BTCUSDT": {"price": "50000.00", "stepSize": "0.001", "minNotional": "5.0"},
    "ETHUSDT": {"price": "3000.00", "stepSize": "0.001", "minNotional": "5.0"},
    "BNBUSDT": {"price": "600.000", "stepSize": "0.01", "minNotional": "5.0"},
}
"""Symbols every emulator trades: the last price (its decimals are the tick size unless
``tickSize`` is given), ``stepSize`` (LOT_SIZE) and ``minNotional`` (MIN_NOTIONAL)."""
DEFAULT_BALANCES: Mapping[str, str] = {"USDT": "10000.00000000"}
DEFAULT_LEVERAGE = 20
DEFAULT_STEP = Decimal("0.001")
DEFAULT_MIN_NOTIONAL = Decimal("5.0")
DEFAULT_MAX_ORDERS = 200
MAINT_MARGIN_RATE = Decimal("0.004")
MAX_NOTIONAL = "20000000"
MARGIN_ASSET = "USDT"
_QTY_STEP = Decimal("0.001")
_EIGHT = Decimal("1E-8")
_WIDE = Context(prec=60)  # parameters are below 1e15: a product of two, with 8 decimals, fits
CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")
OPEN = frozenset({"NEW", "PARTIALLY_FILLED"})
INVALID_SYMBOL = Reject(400, -1121, "Invalid symbol.")


def fmt(value: Decimal | int | str) -> str:
    """A decimal in plain notation (never exponent form)."""
    return format(Decimal(value), "f")


def money(value: Decimal) -> str:
    """An account figure with the API's 8 decimals."""
    return format(value.quantize(_EIGHT, context=_WIDE), "f")


def round8(value: Decimal) -> Decimal:
    """``value`` rounded half-even to 8 decimals (commissions, PnL and entry prices)."""
    return value.quantize(_EIGHT, rounding=ROUND_HALF_EVEN, context=_WIDE)


def project(full: Mapping[str, Any], model: type[Any]) -> dict[str, Any]:
    """``full`` cut down to the wire fields of a generated attrs model, in the model's order."""
    return {
        (wire := field.metadata.get("wire", field.name)): full[wire]
        for field in attrs.fields(model)
    }


# -- market ---------------------------------------------------------------------------------


@attrs.define
class Symbol:
    """One symbol of the market: its feed price and filters (tests may change them)."""

    name: str
    price: Decimal
    tick: Decimal
    """PRICE_FILTER ``tickSize``."""
    last_update_id: int
    step: Decimal = DEFAULT_STEP
    """LOT_SIZE ``stepSize``."""
    min_notional: Decimal = DEFAULT_MIN_NOTIONAL
    """MIN_NOTIONAL ``notional``."""
    max_orders: int = DEFAULT_MAX_ORDERS
    """MAX_NUM_ORDERS ``limit``: open orders per account on this symbol."""

    def level(self, side: str, index: int) -> tuple[Decimal, Decimal]:
        """The ``index``-th level (0: best) of ``side`` (``bids``/``asks``): price, quantity."""
        offset = self.tick * (index + 1)
        price = self.price - offset if side == "bids" else self.price + offset
        seed = sum(map(ord, self.name)) + (0 if side == "bids" else 3)
        quantity = _QTY_STEP * 10 * ((index * 7 + seed) % 20 + 1)
        return price, quantity


def _tick_of(price: Decimal) -> Decimal:
    exponent = price.as_tuple().exponent
    return Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)


class Market:
    """The price feed and deterministic order books: each symbol's levels are a pure
    function of its current price (one tick apart on each side of it).

    ``symbols`` maps each name to its last price (a string or Decimal: the tick size is
    its last decimal), or to a mapping with ``price`` and optionally ``tickSize``,
    ``stepSize`` (default 0.001), ``minNotional`` (default 5.0) and ``maxNumOrders``
    (default 200).
    """

    def __init__(self, symbols: Mapping[str, Any], clock: Callable[[], int]) -> None:
        self._clock = clock
        self.symbols: dict[str, Symbol] = {}
        for name, spec in symbols.items():
            self.add(name, spec)

    def add(self, name: str, spec: Any) -> Symbol:
        """Add (or replace) a symbol: ``spec`` is a price or a mapping (see the class)."""
        if isinstance(spec, Mapping):
            price = Decimal(spec["price"])
            tick = Decimal(spec["tickSize"]) if "tickSize" in spec else _tick_of(price)
            step = Decimal(spec.get("stepSize", DEFAULT_STEP))
            notional = Decimal(spec.get("minNotional", DEFAULT_MIN_NOTIONAL))
            max_orders = int(spec.get("maxNumOrders", DEFAULT_MAX_ORDERS))
        else:
            price = Decimal(spec)
            tick, step, notional = _tick_of(price), DEFAULT_STEP, DEFAULT_MIN_NOTIONAL
            max_orders = DEFAULT_MAX_ORDERS
        index = len(self.symbols) if name not in self.symbols else list(self.symbols).index(name)
        symbol = Symbol(name, price, tick, 1_000_000 * (index + 1), step, notional, max_orders)
        self.symbols[name] = symbol
        return symbol

    def get(self, name: Any) -> Symbol:
        symbol = self.symbols.get(name) if isinstance(name, str) else None
        if symbol is None:
            raise INVALID_SYMBOL
        return symbol

    def _selected(self, params: Mapping[str, Any]) -> list[Symbol]:
        if "symbol" in params:
            return [self.get(params["symbol"])]
        return list(self.symbols.values())

    def depth(self, params: Mapping[str, Any]) -> dict[str, Any]:
        symbol = self.get(params["symbol"])
        limit = params.get("limit", 500)
        if limit not in (5, 10, 20, 50, 100, 500, 1000):
            raise not_valid("limit")
        now = self._clock()
        book = {
            side: [[fmt(p), fmt(q)] for p, q in (symbol.level(side, i) for i in range(limit))]
            for side in ("bids", "asks")
        }
        return {"lastUpdateId": symbol.last_update_id, "E": now, "T": now, **book}

    def ticker_price(self, params: Mapping[str, Any]) -> Any:
        items = [
            {"symbol": s.name, "price": fmt(s.price), "time": self._clock()}
            for s in self._selected(params)
        ]
        return items[0] if "symbol" in params else items

    def ticker_book(self, params: Mapping[str, Any]) -> Any:
        items = []
        for s in self._selected(params):
            (bid, bid_qty), (ask, ask_qty) = s.level("bids", 0), s.level("asks", 0)
            items.append(
                {
                    "lastUpdateId": s.last_update_id,
                    "symbol": s.name,
                    "bidPrice": fmt(bid),
                    "bidQty": fmt(bid_qty),
                    "askPrice": fmt(ask),
                    "askQty": fmt(ask_qty),
                    "time": self._clock(),
                }
            )
        return items[0] if "symbol" in params else items


# -- accounts -------------------------------------------------------------------------------


@attrs.define(eq=False)
class Order:
    """An order the emulator keeps (amounts as Decimals; :meth:`wire` formats them)."""

    order_id: int
    symbol: str
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    quantity: Decimal
    price: Decimal
    position_side: str
    reduce_only: bool
    price_match: str
    self_trade_prevention_mode: str
    good_till_date: int
    time: int
    update_time: int
    owner: str = ""
    """The API key whose order it is."""
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    close_position: bool = False
    closing: bool = False
    """Reduce-only in effect: ``reduceOnly``, a hedge-mode close, or ``closePosition``."""
    orig_type: str = ""
    stop_price: Decimal = Decimal(0)
    working_type: str = "CONTRACT_PRICE"
    price_protect: bool = False
    algo_id: int = 0
    """The algo order that placed it (0: none)."""
    sequence: int = 0
    """Time priority among resting orders (renewed by a modification)."""
    modifications: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.executed

    @property
    def average_price(self) -> Decimal:
        return round8(self.cum_quote / self.executed) if self.executed else Decimal(0)

    def wire(self) -> dict[str, Any]:
        """Every field any order reply may carry."""
        return {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price),
            "avgPrice": fmt(self.average_price),
            "origQty": fmt(self.quantity),
            "executedQty": fmt(self.executed),
            "cumQty": fmt(self.executed),
            "cumQuote": fmt(self.cum_quote),
            "timeInForce": self.time_in_force,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": fmt(self.stop_price),
            "workingType": self.working_type,
            "priceProtect": self.price_protect,
            "origType": self.orig_type or self.type,
            "priceMatch": self.price_match,
            "selfTradePreventionMode": self.self_trade_prevention_mode,
            "goodTillDate": self.good_till_date,
            "activatePrice": "0",
            "priceRate": "0",
            "time": self.time,
            "updateTime": self.update_time,
        }


@attrs.define
class Position:
    """A position: signed amount (negative: short), entry price, realized PnL so far."""

    amount: Decimal = Decimal(0)
    entry_price: Decimal = Decimal(0)
    leverage: int = DEFAULT_LEVERAGE
    update_time: int = 0
    realized: Decimal = Decimal(0)
    """Accumulated realized PnL (the ``cr`` of ACCOUNT_UPDATE)."""


@attrs.define
class Account:
    """One API key's account. Tests may change it: ``balances["USDT"] = Decimal(...)``,
    ``hedge_mode = True`` (LONG/SHORT positions); positions through
    :meth:`Emulator.set_position`."""

    alias: str
    balances: dict[str, Decimal]
    positions: dict[tuple[str, str], Position] = attrs.Factory(dict)
    """By (symbol, position side): ``BOTH`` in one-way mode, ``LONG``/``SHORT`` in hedge mode."""
    orders: dict[int, Order] = attrs.Factory(dict)
    open_orders: dict[int, Order] = attrs.Factory(dict)
    algo_orders: dict[int, dict[str, Any]] = attrs.Factory(dict)
    update_time: int = 0
    hedge_mode: bool = False
    """False: one-way mode (``positionSide`` BOTH); True: hedge mode (LONG and SHORT)."""

    def sides(self) -> tuple[str, ...]:
        return ("LONG", "SHORT") if self.hedge_mode else ("BOTH",)


class Accounts:
    """The accounts by API key, and the account methods' answers from their state."""

    def __init__(
        self,
        market: Market,
        clock: Callable[[], int],
        balances: Mapping[str, Decimal | str] = DEFAULT_BALANCES,
    ) -> None:
        self._market = market
        self._clock = clock
        self._balances = {asset: Decimal(amount) for asset, amount in balances.items()}
        self._accounts: dict[str, Account] = {}

    def account(self, api_key: str) -> Account:
        found = self._accounts.get(api_key)
        if found is None:
            alias = hashlib.sha256(api_key.encode()).hexdigest()[:4]
            found = self._accounts[api_key] = Account(alias, dict(self._balances))
        return found

    # -- figures

    def _figures(self, account: Account, symbol: str, side: str) -> dict[str, Decimal]:
        position = account.positions.get((symbol, side)) or Position()
        mark = self._market.get(symbol).price
        notional = position.amount * mark
        bid = ask = Decimal(0)
        for order in account.open_orders.values():
            if order.symbol == symbol and order.position_side == side:
                value = order.price * order.remaining
                if order.side == "BUY":
                    bid += value
                else:
                    ask += value
        return {
            "amount": position.amount,
            "entry": position.entry_price,
            "mark": mark,
            "notional": notional,
            "unrealized": (mark - position.entry_price) * position.amount,
            "initial": abs(notional) / position.leverage,
            "maint": abs(notional) * MAINT_MARGIN_RATE,
            "order_initial": max(bid, ask) / position.leverage,
            "bid": bid,
            "ask": ask,
            "leverage": Decimal(position.leverage),
        }

    def notionals(self, account: Account, symbol: str, side: str) -> tuple[Decimal, Decimal]:
        """The bid and ask notional of the account's open orders on ``symbol``/``side``."""
        figures = self._figures(account, symbol, side)
        return figures["bid"], figures["ask"]

    def _every(self, account: Account) -> list[tuple[str, str]]:
        return [(s, side) for s in self._market.symbols for side in account.sides()]

    def _held(self, account: Account) -> list[tuple[str, str]]:
        """(symbol, side) of the non-zero positions, in the market's order."""
        return [
            key
            for key in self._every(account)
            if key in account.positions and account.positions[key].amount
        ]

    def _totals(self, account: Account) -> dict[str, Decimal]:
        totals = {"unrealized": Decimal(0), "initial": Decimal(0), "maint": Decimal(0)}
        totals["order_initial"] = Decimal(0)
        for symbol, side in self._every(account):
            figures = self._figures(account, symbol, side)
            for key in totals:
                totals[key] += figures[key]
        return totals

    def available(self, account: Account) -> Decimal:
        """The margin asset's available balance: wallet + unrealized PnL - the initial margin
        of positions and of open orders."""
        totals = self._totals(account)
        wallet = account.balances.get(MARGIN_ASSET, Decimal(0))
        return wallet + totals["unrealized"] - totals["initial"] - totals["order_initial"]

    def leverage(self, account: Account, symbol: str, side: str) -> int:
        """The leverage of the account's position (or would-be position) on symbol/side."""
        position = account.positions.get((symbol, side))
        return position.leverage if position is not None else Position().leverage

    def _asset(self, account: Account, asset: str) -> dict[str, Any]:
        wallet = account.balances[asset]
        quote = asset == MARGIN_ASSET
        totals = (
            self._totals(account)
            if quote
            else dict.fromkeys(("unrealized", "initial", "maint", "order_initial"), Decimal(0))
        )
        available = max(
            wallet + totals["unrealized"] - totals["initial"] - totals["order_initial"], Decimal(0)
        )
        return {
            "asset": asset,
            "accountAlias": account.alias,
            "balance": money(wallet),
            "walletBalance": money(wallet),
            "unrealizedProfit": money(totals["unrealized"]),
            "marginBalance": money(wallet + totals["unrealized"]),
            "maintMargin": money(totals["maint"]),
            "initialMargin": money(totals["initial"] + totals["order_initial"]),
            "positionInitialMargin": money(totals["initial"]),
            "openOrderInitialMargin": money(totals["order_initial"]),
            "crossWalletBalance": money(wallet),
            "crossUnPnl": money(totals["unrealized"]),
            "availableBalance": money(available),
            "maxWithdrawAmount": money(min(wallet, available)),
            "marginAvailable": True,
            "updateTime": account.update_time,
        }

    def position_wire(self, account: Account, symbol: str, side: str) -> dict[str, Any]:
        """Every field any position reply may carry."""
        f = self._figures(account, symbol, side)
        position = account.positions.get((symbol, side)) or Position()
        return {
            "symbol": symbol,
            "positionSide": side,
            "positionAmt": fmt(f["amount"]),
            "entryPrice": fmt(f["entry"]),
            "breakEvenPrice": fmt(f["entry"]),
            "markPrice": fmt(f["mark"]),
            "unRealizedProfit": money(f["unrealized"]),
            "unrealizedProfit": money(f["unrealized"]),
            "liquidationPrice": "0",
            "isolatedMargin": "0",
            "isolatedWallet": "0",
            "isolated": False,
            "marginType": "cross",
            "isAutoAddMargin": "false",
            "leverage": fmt(f["leverage"]),
            "maxNotionalValue": MAX_NOTIONAL,
            "maxNotional": MAX_NOTIONAL,
            "notional": money(f["notional"]),
            "marginAsset": MARGIN_ASSET,
            "initialMargin": money(f["initial"] + f["order_initial"]),
            "maintMargin": money(f["maint"]),
            "positionInitialMargin": money(f["initial"]),
            "openOrderInitialMargin": money(f["order_initial"]),
            "adl": 0,
            "bidNotional": money(f["bid"]),
            "askNotional": money(f["ask"]),
            "updateTime": position.update_time,
        }

    # -- account methods

    def balance(self, api_key: str, item: type[Any]) -> list[dict[str, Any]]:
        account = self.account(api_key)
        return [project(self._asset(account, asset), item) for asset in account.balances]

    def status(self, api_key: str, v2: bool) -> dict[str, Any]:
        account = self.account(api_key)
        assets = [self._asset(account, asset) for asset in account.balances]
        usdt = next((a for a in assets if a["asset"] == MARGIN_ASSET), None)
        totals = {
            "totalInitialMargin": "initialMargin",
            "totalMaintMargin": "maintMargin",
            "totalWalletBalance": "walletBalance",
            "totalUnrealizedProfit": "unrealizedProfit",
            "totalMarginBalance": "marginBalance",
            "totalPositionInitialMargin": "positionInitialMargin",
            "totalOpenOrderInitialMargin": "openOrderInitialMargin",
            "totalCrossWalletBalance": "crossWalletBalance",
            "totalCrossUnPnl": "crossUnPnl",
            "availableBalance": "availableBalance",
            "maxWithdrawAmount": "maxWithdrawAmount",
        }
        full: dict[str, Any] = {
            total: (usdt[key] if usdt else "0") for total, key in totals.items()
        }
        # v1 lists every symbol; v2 only the positions held (FACTS: v2 trims empty ones).
        keys = self._held(account) if v2 else self._every(account)
        asset_model: type[Any]
        position_model: type[Any]
        if v2:
            asset_model, position_model = (
                _models.AccountStatusV2Asset,
                _models.AccountStatusV2Position,
            )
        else:
            asset_model, position_model = _models.AccountStatusAsset, _models.AccountStatusPosition
            full.update(
                feeTier=0,
                canTrade=True,
                canDeposit=True,
                canWithdraw=True,
                updateTime=account.update_time,
                multiAssetsMargin=False,
                tradeGroupId=-1,
            )
        full["assets"] = [project(a, asset_model) for a in assets]
        full["positions"] = [
            project(self.position_wire(account, s, side), position_model) for s, side in keys
        ]
        return project(full, _models.AccountStatusV2Result if v2 else _models.AccountStatusResult)

    def positions(self, api_key: str, params: Mapping[str, Any], v2: bool) -> list[dict[str, Any]]:
        account = self.account(api_key)
        if "symbol" in params:
            name = self._market.get(params["symbol"]).name
            keys = [(name, side) for side in account.sides()]
        else:  # v1: every symbol; v2: the positions held
            keys = self._held(account) if v2 else self._every(account)
        item = _models.AccountPositionV2Item if v2 else _models.AccountPositionItem
        return [project(self.position_wire(account, s, side), item) for s, side in keys]
