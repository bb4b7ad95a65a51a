"""The emulator's market and accounts: a deterministic book per symbol, and a minimal
in-memory account (balances, positions, orders, algo orders) per API key.

No matching: an order placed stays ``NEW`` until it is cancelled (the paper-exchange issue
makes matching real). Replies are projected onto the generated result models' fields, so
they carry exactly the fields the SDK decodes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Context, Decimal
from typing import Any

import attrs

from .._generated import models as _models
from ._wire import Reject, mandatory, not_valid, to_decimal

__all__ = ["DEFAULT_SYMBOLS", "Account", "Market", "Order", "Position", "project"]

DEFAULT_SYMBOLS: Mapping[str, str] = {
    "BTCUSDT": "50000.00",
    "ETHUSDT": "3000.00",
    "BNBUSDT": "600.000",
}
"""Symbols every emulator trades, with their last price (its decimals are the tick size)."""
DEFAULT_BALANCES: Mapping[str, str] = {"USDT": "10000.00000000"}
DEFAULT_LEVERAGE = 20
MAINT_MARGIN_RATE = Decimal("0.004")
MAX_NOTIONAL = "20000000"
_QTY_STEP = Decimal("0.001")
_EIGHT = Decimal("1E-8")
_WIDE = Context(prec=60)  # parameters are below 1e15: a product of two, with 8 decimals, fits
_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")
_CONDITIONAL = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
_OPEN = frozenset({"NEW", "PARTIALLY_FILLED"})
INVALID_SYMBOL = Reject(400, -1121, "Invalid symbol.")


def fmt(value: Decimal | int | str) -> str:
    """A decimal in plain notation (never exponent form)."""
    return format(Decimal(value), "f")


def money(value: Decimal) -> str:
    """An account figure with the API's 8 decimals."""
    return format(value.quantize(_EIGHT, context=_WIDE), "f")


def project(full: Mapping[str, Any], model: type[Any]) -> dict[str, Any]:
    """``full`` cut down to the wire fields of a generated attrs model, in the model's order."""
    return {
        (wire := field.metadata.get("wire", field.name)): full[wire]
        for field in attrs.fields(model)
    }


# -- market ---------------------------------------------------------------------------------


@attrs.define
class Symbol:
    name: str
    price: Decimal
    tick: Decimal
    last_update_id: int

    def level(self, side: str, index: int) -> tuple[Decimal, Decimal]:
        """The ``index``-th level (0: best) of ``side`` (``bids``/``asks``): price, quantity."""
        offset = self.tick * (index + 1)
        price = self.price - offset if side == "bids" else self.price + offset
        seed = sum(map(ord, self.name)) + (0 if side == "bids" else 3)
        quantity = _QTY_STEP * 10 * ((index * 7 + seed) % 20 + 1)
        return price, quantity


class Market:
    """Deterministic order books: each symbol's levels are a pure function of its price."""

    def __init__(self, symbols: Mapping[str, Decimal | str], clock: Callable[[], int]) -> None:
        self._clock = clock
        self.symbols: dict[str, Symbol] = {}
        for index, (name, price) in enumerate(symbols.items()):
            value = Decimal(price)
            exponent = value.as_tuple().exponent
            tick = Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)
            self.symbols[name] = Symbol(name, value, tick, 1_000_000 * (index + 1))

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


@attrs.define
class Order:
    """An order the emulator keeps; its fields are the wire's (strings for amounts)."""

    order_id: int
    symbol: str
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    orig_qty: str
    price: str
    position_side: str
    reduce_only: bool
    price_match: str
    self_trade_prevention_mode: str
    good_till_date: int
    time: int
    update_time: int
    status: str = "NEW"
    executed_qty: str = "0"

    def wire(self) -> dict[str, Any]:
        """Every field any order reply may carry."""
        return {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_order_id,
            "price": self.price,
            "avgPrice": "0",
            "origQty": self.orig_qty,
            "executedQty": self.executed_qty,
            "cumQty": self.executed_qty,
            "cumQuote": "0",
            "timeInForce": self.time_in_force,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": False,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": "0",
            "workingType": "CONTRACT_PRICE",
            "priceProtect": False,
            "origType": self.type,
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
    """A one-way (``BOTH``) position: signed amount and entry price."""

    amount: Decimal = Decimal(0)
    entry_price: Decimal = Decimal(0)
    leverage: int = DEFAULT_LEVERAGE
    update_time: int = 0


@attrs.define
class Account:
    """One API key's account. Tests may change it: ``balances["USDT"] = Decimal(...)``;
    positions through :meth:`Emulator.set_position`."""

    alias: str
    balances: dict[str, Decimal]
    positions: dict[str, Position] = attrs.Factory(dict)
    orders: dict[int, Order] = attrs.Factory(dict)
    algo_orders: dict[int, dict[str, Any]] = attrs.Factory(dict)
    update_time: int = 0


class Accounts:
    """The accounts by API key, and what the account and order methods do to them."""

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
        self._next_order_id = 100_000_001
        self._next_algo_id = 3_000_000_000_000_001

    def account(self, api_key: str) -> Account:
        found = self._accounts.get(api_key)
        if found is None:
            alias = hashlib.sha256(api_key.encode()).hexdigest()[:4]
            found = self._accounts[api_key] = Account(alias, dict(self._balances))
        return found

    # -- figures

    def _position(self, account: Account, symbol: str) -> Position:
        return account.positions.get(symbol) or Position()

    def _figures(self, account: Account, symbol: str) -> dict[str, Decimal]:
        position = self._position(account, symbol)
        mark = self._market.get(symbol).price
        notional = position.amount * mark
        bid = ask = Decimal(0)
        for order in account.orders.values():
            if order.symbol == symbol and order.status in _OPEN:
                value = Decimal(order.price) * (
                    Decimal(order.orig_qty) - Decimal(order.executed_qty)
                )
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

    def _held(self, account: Account, only_open: bool = True) -> list[str]:
        """Symbols with a position (``only_open``: a non-zero one), in the market's order."""
        return [
            s
            for s in self._market.symbols
            if s in account.positions and (account.positions[s].amount or not only_open)
        ]

    def _totals(self, account: Account) -> dict[str, Decimal]:
        totals = {"unrealized": Decimal(0), "initial": Decimal(0), "maint": Decimal(0)}
        totals["order_initial"] = Decimal(0)
        for symbol in self._market.symbols:
            figures = self._figures(account, symbol)
            for key in totals:
                totals[key] += figures[key]
        return totals

    def _asset(self, account: Account, asset: str) -> dict[str, Any]:
        wallet = account.balances[asset]
        quote = asset == "USDT"
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

    def _position_wire(self, account: Account, symbol: str) -> dict[str, Any]:
        f = self._figures(account, symbol)
        position = self._position(account, symbol)
        return {
            "symbol": symbol,
            "positionSide": "BOTH",
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
            "marginAsset": "USDT",
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
        usdt = next((a for a in assets if a["asset"] == "USDT"), None)
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
        symbols = self._held(account) if v2 else list(self._market.symbols)
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
            project(self._position_wire(account, s), position_model) for s in symbols
        ]
        return project(full, _models.AccountStatusV2Result if v2 else _models.AccountStatusResult)

    def positions(self, api_key: str, params: Mapping[str, Any], v2: bool) -> list[dict[str, Any]]:
        account = self.account(api_key)
        if "symbol" in params:
            symbols = [self._market.get(params["symbol"]).name]
        else:  # v1: every symbol; v2: the positions held
            symbols = self._held(account) if v2 else list(self._market.symbols)
        item = _models.AccountPositionV2Item if v2 else _models.AccountPositionItem
        return [project(self._position_wire(account, s), item) for s in symbols]

    # -- orders

    def _find(self, account: Account, params: Mapping[str, Any]) -> Order | None:
        symbol = self._market.get(params["symbol"]).name
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        for order in account.orders.values():
            if order.symbol != symbol:
                continue
            if order_id is not None and order.order_id != order_id:
                continue
            if client_id is not None and order.client_order_id != client_id:
                continue
            return order
        return None

    def place(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        account = self.account(api_key)
        symbol = self._market.get(params["symbol"]).name
        kind = params["type"]
        if kind in _CONDITIONAL:
            raise Reject(
                400,
                -4120,
                "Order type not supported for this endpoint. "
                "Please use the Algo Order API endpoints instead.",
            )
        if params.get("positionSide", "BOTH") != "BOTH":
            raise Reject(400, -4061, "Order's position side does not match user's setting.")
        if "quantity" not in params:
            raise mandatory("quantity")
        quantity = to_decimal(params["quantity"])
        if quantity <= 0:
            raise not_valid("quantity")
        now = self._clock()
        time_in_force = params.get("timeInForce", "GTC")
        if kind == "LIMIT":
            if "timeInForce" not in params:
                raise mandatory("timeInForce")
            if "price" in params and "priceMatch" in params:
                raise Reject(400, -1128, "Combination of optional parameters invalid.")
            if "price" not in params and params.get("priceMatch", "NONE") == "NONE":
                raise mandatory("price")
            if "price" in params and to_decimal(params["price"]) <= 0:
                raise not_valid("price")
            good_till = params.get("goodTillDate", 0)
            if time_in_force == "GTD":
                if "goodTillDate" not in params:
                    raise mandatory("goodTillDate")
                if good_till < now + 600_000:
                    raise not_valid("goodTillDate")
                good_till = good_till // 1000 * 1000
        else:  # MARKET
            for name in ("price", "timeInForce", "priceMatch", "goodTillDate"):
                if name in params:
                    raise Reject(400, -1106, f"Parameter '{name}' sent when not required.")
            good_till = 0
        client_id = params.get("newClientOrderId")
        order_id = self._next_order_id
        if client_id is None:
            client_id = f"emulator{order_id}"
        elif _CLIENT_ID.fullmatch(client_id) is None:
            raise Reject(400, -4015, "Client order id is not valid.")
        elif any(
            o.client_order_id == client_id and o.status in _OPEN for o in account.orders.values()
        ):
            raise Reject(400, -4116, "ClientOrderId is duplicated.")
        self._next_order_id += 1
        price = params.get("price")
        order = Order(
            order_id=order_id,
            symbol=symbol,
            client_order_id=client_id,
            side=params["side"],
            type=kind,
            time_in_force=time_in_force,
            orig_qty=fmt(quantity),
            price=fmt(to_decimal(price)) if price is not None else "0",
            position_side="BOTH",
            reduce_only=params.get("reduceOnly") == "true",
            price_match=params.get("priceMatch", "NONE"),
            self_trade_prevention_mode=params.get("selfTradePreventionMode", "NONE"),
            good_till_date=good_till,
            time=now,
            update_time=now,
        )
        account.orders[order_id] = order
        return project(order.wire(), _models.OrderPlaceResult)

    def query(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order = self._find(self.account(api_key), params)
        if order is None:
            raise Reject(400, -2013, "Order does not exist.")
        return project(order.wire(), _models.OrderStatusResult)

    def cancel(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order = self._find(self.account(api_key), params)
        if order is None or order.status not in _OPEN:
            raise Reject(400, -2011, "Unknown order sent.")
        order.status, order.update_time = "CANCELED", self._clock()
        return project(order.wire(), _models.OrderCancelResult)

    def modify(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        order = self._find(self.account(api_key), params)
        if order is None or order.status not in _OPEN:
            raise Reject(400, -2013, "Order does not exist.")
        if order.type != "LIMIT":
            raise Reject(400, -1020, "This operation is not supported.")
        if params["side"] != order.side:
            raise not_valid("side")
        quantity, price = to_decimal(params["quantity"]), to_decimal(params["price"])
        if price <= 0:
            raise not_valid("price")
        if quantity <= Decimal(order.executed_qty):  # FACTS §10: the order is cancelled
            order.status = "CANCELED"
        else:
            order.orig_qty, order.price = fmt(quantity), fmt(price)
        order.price_match = params.get("priceMatch", order.price_match)
        order.self_trade_prevention_mode = "NONE"  # FACTS §10: a modification resets it
        order.update_time = self._clock()
        return project(order.wire(), _models.OrderModifyResult)

    def place_algo(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        account = self.account(api_key)
        symbol = self._market.get(params["symbol"]).name
        kind = params["type"]
        closing = params.get("closePosition") == "true"
        if kind != "TRAILING_STOP_MARKET" and "triggerPrice" not in params:
            raise mandatory("triggerPrice")
        if kind in ("STOP", "TAKE_PROFIT") and "price" not in params:
            raise mandatory("price")
        if not closing and "quantity" not in params:
            raise mandatory("quantity")
        if params.get("positionSide", "BOTH") != "BOTH":
            raise Reject(400, -4061, "Order's position side does not match user's setting.")
        algo_id = self._next_algo_id
        self._next_algo_id += 1
        now = self._clock()

        def amount(name: str) -> str:
            return fmt(to_decimal(params[name])) if name in params else "0"

        algo = {
            "algoId": algo_id,
            "clientAlgoId": params.get("clientAlgoId", f"emulatorAlgo{algo_id}"),
            "algoType": params["algoType"],
            "orderType": kind,
            "symbol": symbol,
            "side": params["side"],
            "positionSide": "BOTH",
            "timeInForce": params.get("timeInForce", "GTC"),
            "quantity": amount("quantity"),
            "algoStatus": "NEW",
            "triggerPrice": amount("triggerPrice"),
            "price": amount("price"),
            "icebergQuantity": None,
            "selfTradePreventionMode": params.get("selfTradePreventionMode", "NONE"),
            "workingType": params.get("workingType", "CONTRACT_PRICE"),
            "priceMatch": params.get("priceMatch", "NONE"),
            "closePosition": closing,
            "priceProtect": params.get("priceProtect") == "true",
            "reduceOnly": params.get("reduceOnly") == "true",
            "createTime": now,
            "updateTime": now,
            "triggerTime": 0,
            "goodTillDate": params.get("goodTillDate", 0),
        }
        account.algo_orders[algo_id] = algo
        return project(algo, _models.AlgoOrderPlaceResult)

    def cancel_algo(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        account = self.account(api_key)
        algo_id, client_id = params.get("algoId"), params.get("clientAlgoId")
        for algo in account.algo_orders.values():
            if algo_id is not None and algo["algoId"] != algo_id:
                continue
            if client_id is not None and algo["clientAlgoId"] != client_id:
                continue
            if algo["algoStatus"] != "NEW":
                break
            algo["algoStatus"], algo["updateTime"] = "CANCELED", self._clock()
            return {
                "algoId": algo["algoId"],
                "clientAlgoId": algo["clientAlgoId"],
                "code": "200",
                "msg": "success",
            }
        raise Reject(400, -2011, "Unknown order sent.")

    def open_orders(self, api_key: str) -> Iterable[Order]:
        return [o for o in self.account(api_key).orders.values() if o.status in _OPEN]
