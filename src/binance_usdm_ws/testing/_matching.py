"""The paper exchange: orders placed, matched against the price feed, filled and reported.

:class:`Engine` does what ``order.*`` and ``algoOrder.*`` do to the accounts of
:mod:`._exchange`, and what a move of a symbol's price does to their resting orders and
algo orders. Every change of state appends its user data events (wire dicts) to
:attr:`Engine.outbox` as ``(api_key, event)``; the emulator pushes them on the account's
stream. The rules, and the choices made where the docs are silent, are listed in the
emulator's module docstring (:mod:`._emulator`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from .._generated import models as _models
from ._exchange import (
    CLIENT_ID,
    MARGIN_ASSET,
    OPEN,
    Account,
    Accounts,
    Market,
    Order,
    Position,
    Symbol,
    fmt,
    money,
    project,
    round8,
)
from ._wire import Reject, mandatory, not_valid, to_decimal

__all__ = ["DEFAULT_COMMISSION", "Engine"]

DEFAULT_COMMISSION = (Decimal("0.0002"), Decimal("0.0005"))
"""Maker and taker commission rates."""
_CONDITIONAL = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
_GTD_MAX = 253402300799000
MAX_ALGO = 200  # open conditional orders per account (S1-CL 2025-12-29)
_MAX_WALK = 1000  # levels a taker walks at most when liquidity is limited
_NO_MATCH_LEVEL = {"OPPONENT": 0, "OPPONENT_5": 4, "OPPONENT_10": 9, "OPPONENT_20": 19}
_QUEUE_LEVEL = {"QUEUE": 0, "QUEUE_5": 4, "QUEUE_10": 9, "QUEUE_20": 19}
REDUCE_ONLY_REJECT = Reject(400, -2022, "ReduceOnly Order is rejected.")
SIDE_MISMATCH = Reject(400, -4061, "Order's position side does not match user's setting.")
WOULD_TRIGGER = Reject(400, -2021, "Order would immediately trigger.")
NOT_REQUIRED = "Parameter '{}' sent when not required."


def _not_required(name: str) -> Reject:
    return Reject(400, -1106, NOT_REQUIRED.format(name))


def _true(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) == "true"


class Engine:
    """The matching engine and the order methods of the emulator's accounts.

    Args:
        market: the symbols and their feed.
        accounts: the accounts it trades for.
        clock: epoch-milliseconds clock.
        liquidity: quantity available at each price level on each price move (resting
            orders at one price share it; a taker walks one level per tick for each such
            quantity); ``None``: unlimited (every crossed order fills completely).
        slippage: fraction of the price a MARKET order pays beyond the feed price (BUY
            above, SELL below; rounded to the tick away from the feed).
        commission: (maker, taker) rates, a fraction of each fill's notional.
    """

    def __init__(
        self,
        market: Market,
        accounts: Accounts,
        clock: Callable[[], int],
        *,
        liquidity: Decimal | str | None = None,
        slippage: Decimal | str = Decimal(0),
        commission: tuple[Decimal | str, Decimal | str] = DEFAULT_COMMISSION,
    ) -> None:
        self.market = market
        self.accounts = accounts
        self._clock = clock
        self.liquidity = None if liquidity is None else Decimal(liquidity)
        self.slippage = Decimal(slippage)
        self.maker_rate, self.taker_rate = (Decimal(rate) for rate in commission)
        self.outbox: deque[tuple[str, dict[str, Any]]] = deque()
        """User data events not pushed yet: ``(api_key, event)``, in order."""
        self.emit = True
        """False: no events are made (a benchmark of the matching alone)."""
        self._resting: dict[str, list[Order]] = {}
        self._algos: dict[str, list[dict[str, Any]]] = {}
        self._next_order_id = 100_000_001
        self._next_algo_id = 3_000_000_000_000_001
        self._next_trade_id = 5_000_001
        self._sequence = 0
        self._gtd = 0  # resting GTD orders

    # -- the feed ------------------------------------------------------------------------

    def _symbol(self, name: str) -> Symbol:
        symbol = self.market.symbols.get(name)
        if symbol is None:
            raise ValueError(f"the emulator has no symbol {name!r}")
        return symbol

    def set_price(self, name: str, price: Decimal) -> None:
        """Move ``name``'s price: fill the resting orders it reaches (with the configured
        liquidity per level), trigger algo orders, expire GTD orders whose time passed."""
        self._move(self._symbol(name), price, None)

    def replay_trade(self, name: str, price: Decimal, quantity: Decimal) -> None:
        """A trade of ``quantity`` at ``price``: it fills resting orders at or through the
        price, best first, up to ``quantity`` in all; then as :meth:`set_price`."""
        if quantity < 0:
            raise ValueError("a trade's quantity must not be negative")
        self._move(self._symbol(name), price, quantity)

    def _move(self, symbol: Symbol, price: Decimal, budget: Decimal | None) -> None:
        if not price.is_finite() or price <= 0:
            raise ValueError(f"a price must be positive, not {price}")
        symbol.price = price
        symbol.last_update_id += 1
        self.expire_due()
        resting = self._resting.get(symbol.name)
        if resting:
            crossed = [o for o in resting if self._reached(o, price)]
            # Best price first (the highest bid, the lowest ask), then time priority.
            crossed.sort(key=lambda o: (-o.price if o.side == "BUY" else o.price, o.sequence))
            per_level: dict[Decimal, Decimal] = {}
            for order in crossed:
                if order.status not in OPEN:
                    continue
                account = self.accounts.account(order.owner)
                wanted = self._capacity(account, order)
                if wanted <= 0:
                    self._end(account, order, "EXPIRED", "4")
                    continue
                if budget is not None:
                    quantity = min(wanted, budget)
                    budget -= quantity
                elif self.liquidity is None:
                    quantity = wanted
                else:
                    left = per_level.get(order.price, self.liquidity)
                    quantity = min(wanted, left)
                    per_level[order.price] = left - quantity
                if quantity > 0:
                    self._fill(account, order, order.price, quantity, maker=True)
        self._trigger(symbol)

    @staticmethod
    def _reached(order: Order, price: Decimal) -> bool:
        return price <= order.price if order.side == "BUY" else price >= order.price

    def expire_due(self) -> None:
        """Expire the GTD orders whose ``goodTillDate`` has passed."""
        if not self._gtd:
            return
        now = self._clock()
        for resting in self._resting.values():
            for order in list(resting):
                if order.time_in_force == "GTD" and order.good_till_date <= now:
                    self._end(self.accounts.account(order.owner), order, "EXPIRED", "0")

    # -- order.place ---------------------------------------------------------------------

    def _position_side(self, account: Account, params: Mapping[str, Any]) -> str:
        side = params.get("positionSide")
        if account.hedge_mode:
            if side not in ("LONG", "SHORT"):
                raise SIDE_MISMATCH
            if "reduceOnly" in params:
                raise _not_required("reduceOnly")
            return str(side)
        if side not in (None, "BOTH"):
            raise SIDE_MISMATCH
        return "BOTH"

    @staticmethod
    def _closes(side: str, position_side: str) -> bool:
        return (side, position_side) in (("SELL", "LONG"), ("BUY", "SHORT"))

    def _check_reduce(
        self, account: Account, symbol: str, side: str, position_side: str, quantity: Decimal
    ) -> None:
        """-2022 unless an order reducing the position can: one-way reduceOnly needs a
        position on the other side; a hedge-mode close no more than the position."""
        amount = self._amount(account, symbol, position_side)
        if position_side == "BOTH":
            if (side == "BUY" and amount >= 0) or (side == "SELL" and amount <= 0):
                raise REDUCE_ONLY_REJECT
        elif abs(amount) < quantity:
            raise REDUCE_ONLY_REJECT

    @staticmethod
    def _amount(account: Account, symbol: str, position_side: str) -> Decimal:
        position = account.positions.get((symbol, position_side))
        return position.amount if position else Decimal(0)

    def _check_filters(
        self,
        symbol: Symbol,
        quantity: Decimal,
        price: Decimal | None,
        closing: bool,
        notional_code: int = -4164,
    ) -> None:
        if price is not None and price % symbol.tick:
            raise Reject(400, -4014, "Price not increased by tick size.")
        if quantity % symbol.step:
            raise Reject(400, -4023, "Qty not increased by step size.")
        notional = quantity * (symbol.price if price is None else price)
        if not closing and notional < symbol.min_notional:
            if notional_code == -4164:
                msg = (
                    f"Order's notional must be no smaller than {fmt(symbol.min_notional)} "
                    "(unless you choose reduce only)"
                )
            else:
                msg = f"Order's notional must be no smaller than {fmt(symbol.min_notional)}"
            raise Reject(400, notional_code, msg)

    def _match_price(self, symbol: Symbol, side: str, match: str) -> Decimal:
        if match in _NO_MATCH_LEVEL:
            book = "asks" if side == "BUY" else "bids"
            return symbol.level(book, _NO_MATCH_LEVEL[match])[0]
        if match in _QUEUE_LEVEL:
            book = "bids" if side == "BUY" else "asks"
            return symbol.level(book, _QUEUE_LEVEL[match])[0]
        raise Reject(400, -5037, "Invalid price match")

    def place(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``order.place``: the reply (ACK: as accepted; RESULT: after matching)."""
        account = self.accounts.account(api_key)
        symbol = self.market.get(params["symbol"])
        kind = params["type"]
        if kind in _CONDITIONAL:
            raise Reject(
                400,
                -4120,
                "Order type not supported for this endpoint. "
                "Please use the Algo Order API endpoints instead.",
            )
        position_side = self._position_side(account, params)
        if _true(params, "closePosition"):
            raise _not_required("closePosition")
        if "quantity" not in params:
            raise mandatory("quantity")
        quantity = to_decimal(params["quantity"])
        if quantity <= 0:
            raise not_valid("quantity")
        now = self._clock()
        time_in_force = params.get("timeInForce", "GTC")
        price: Decimal | None = None
        good_till = 0
        if kind == "LIMIT":
            if "timeInForce" not in params:
                raise mandatory("timeInForce")
            if "price" in params and "priceMatch" in params:
                raise Reject(400, -1128, "Combination of optional parameters invalid.")
            if "price" not in params and params.get("priceMatch", "NONE") == "NONE":
                raise mandatory("price")
            if "price" in params:
                price = to_decimal(params["price"])
                if price <= 0:
                    raise not_valid("price")
            else:
                price = self._match_price(symbol, params["side"], params["priceMatch"])
            if time_in_force == "GTD":
                if "goodTillDate" not in params:
                    raise mandatory("goodTillDate")
                good_till = params["goodTillDate"]
                if not now + 600_000 < good_till < _GTD_MAX:
                    raise Reject(
                        400,
                        -5040,
                        "The goodTillDate timestamp must be greater than the current time plus "
                        "600 seconds and smaller than 253402300799000 "
                        "(UTC 9999-12-31 23:59:59)",
                    )
                good_till = good_till // 1000 * 1000
        else:  # MARKET
            for name in ("price", "timeInForce", "priceMatch", "goodTillDate"):
                if name in params:
                    raise _not_required(name)
        client_id = params.get("newClientOrderId")
        if client_id is not None:
            if CLIENT_ID.fullmatch(client_id) is None:
                raise Reject(400, -4015, "Client order id is not valid.")
            if any(o.client_order_id == client_id for o in account.open_orders.values()):
                raise Reject(400, -4116, "ClientOrderId is duplicated.")
        open_here = sum(o.symbol == symbol.name for o in account.open_orders.values())
        if open_here >= symbol.max_orders:
            raise Reject(400, -2025, "Reach max open order limit.")
        side = params["side"]
        reduce_only = _true(params, "reduceOnly")
        closing = reduce_only or self._closes(side, position_side)
        self._check_filters(symbol, quantity, price, closing)
        if closing:
            self._check_reduce(account, symbol.name, side, position_side, quantity)
        else:  # what it opens (one-way: beyond the position it reverses) needs margin
            amount = self._amount(account, symbol.name, position_side)
            reverses = (side == "BUY") == (amount < 0)
            closed = min(quantity, abs(amount)) if reverses else Decimal(0)
            leverage = self.accounts.leverage(account, symbol.name, position_side)
            needed = (quantity - closed) * (price if price is not None else symbol.price)
            freed = closed * symbol.price  # the margin of the part of the position it closes
            if (needed - freed) / leverage > self.accounts.available(account):
                raise Reject(400, -2019, "Margin is insufficient.")
        order = Order(
            order_id=self._next_order_id,
            symbol=symbol.name,
            client_order_id=client_id or f"emulator{self._next_order_id}",
            side=side,
            type=kind,
            time_in_force=time_in_force,
            quantity=quantity,
            price=price if price is not None else Decimal(0),
            position_side=position_side,
            reduce_only=reduce_only,
            price_match=params.get("priceMatch", "NONE"),
            self_trade_prevention_mode=params.get("selfTradePreventionMode", "NONE"),
            good_till_date=good_till,
            time=now,
            update_time=now,
            owner=api_key,
            closing=closing,
        )
        if time_in_force in ("GTX", "FOK") and kind == "LIMIT":
            marketable = self._reached(order, symbol.price)
            if time_in_force == "GTX" and marketable:
                raise Reject(
                    400,
                    -5022,
                    "Due to the order could not be executed as maker, "
                    "the Post Only order will be rejected.",
                )
            if time_in_force == "FOK":
                fills = self._taker_fills(order, symbol, self._capacity(account, order))
                if not marketable or sum(q for _, q in fills) < quantity:
                    raise Reject(
                        400,
                        -5021,
                        "Due to the order could not be filled immediately, "
                        "the FOK order has been rejected.",
                    )
        self._next_order_id += 1
        self._accept(account, order)
        accepted = project(order.wire(), _models.OrderPlaceResult)
        self._execute(account, order)
        if params.get("newOrderRespType") == "RESULT":
            return project(order.wire(), _models.OrderPlaceResult)
        return accepted

    def _accept(self, account: Account, order: Order) -> None:
        account.orders[order.order_id] = order
        account.open_orders[order.order_id] = order
        self._order_event(account, order, "NEW")

    def _capacity(self, account: Account, order: Order) -> Decimal:
        """What the order may fill now: its remainder, or for a reducing order no more than
        the position it reduces."""
        if not order.closing:
            return order.remaining
        amount = self._amount(account, order.symbol, order.position_side)
        if (order.side == "BUY" and amount >= 0) or (order.side == "SELL" and amount <= 0):
            return Decimal(0)
        return min(order.remaining, abs(amount))

    def _taker_fills(
        self, order: Order, symbol: Symbol, wanted: Decimal
    ) -> list[tuple[Decimal, Decimal]]:
        """The fills a taker gets now: at the feed price (MARKET: with slippage), then one
        tick further for each ``liquidity`` taken, no further than a LIMIT's price."""
        buy = order.side == "BUY"
        base = symbol.price
        if order.type == "MARKET" and self.slippage:
            moved = base * (1 + self.slippage if buy else 1 - self.slippage)
            rounding = ROUND_CEILING if buy else ROUND_FLOOR
            base = (moved / symbol.tick).to_integral_value(rounding) * symbol.tick
        if wanted <= 0:
            return []
        if self.liquidity is None:
            return [(base, wanted)]
        fills: list[tuple[Decimal, Decimal]] = []
        if self.liquidity <= 0:
            return fills
        price, left = base, wanted
        for _ in range(_MAX_WALK):
            if left <= 0 or price <= 0:
                break
            if order.type == "LIMIT" and (price > order.price if buy else price < order.price):
                break
            quantity = min(left, self.liquidity)
            fills.append((price, quantity))
            left -= quantity
            price = price + symbol.tick if buy else price - symbol.tick
        return fills

    def _execute(self, account: Account, order: Order) -> None:
        """Match a new (or modified, or triggered) order as a taker; rest or expire the rest."""
        symbol = self.market.symbols[order.symbol]
        if order.type == "MARKET" or self._reached(order, symbol.price):
            fills = self._taker_fills(order, symbol, self._capacity(account, order))
            if order.time_in_force == "FOK" and sum(q for _, q in fills) < order.remaining:
                fills = []  # all or nothing (a triggered FOK: placed ones were checked)
            for price, quantity in fills:
                self._fill(account, order, price, quantity, maker=False)
        if order.status not in OPEN:
            return
        if order.type == "MARKET":
            self._end(account, order, "EXPIRED", "9")
        elif order.time_in_force in ("IOC", "FOK"):
            self._end(account, order, "EXPIRED", "2")
        elif order.closing and self._capacity(account, order) <= 0:
            self._end(account, order, "EXPIRED", "4")
        else:
            self._sequence += 1
            order.sequence = self._sequence
            resting = self._resting.setdefault(order.symbol, [])
            if order not in resting:
                resting.append(order)
                self._gtd += order.time_in_force == "GTD"

    # -- fills ---------------------------------------------------------------------------

    def _fill(
        self, account: Account, order: Order, price: Decimal, quantity: Decimal, *, maker: bool
    ) -> None:
        now = self._clock()
        rate = self.maker_rate if maker else self.taker_rate
        commission = round8(price * quantity * rate)
        key = (order.symbol, order.position_side)
        position = account.positions.get(key)
        if position is None:
            position = account.positions[key] = Position()
        realized = self._move_position(
            position, quantity if order.side == "BUY" else -quantity, price
        )
        position.update_time = now
        account.balances[MARGIN_ASSET] = (
            account.balances.get(MARGIN_ASSET, Decimal(0)) + realized - commission
        )
        account.update_time = now
        order.executed += quantity
        order.cum_quote += price * quantity
        order.update_time = now
        order.status = "FILLED" if order.executed >= order.quantity else "PARTIALLY_FILLED"
        trade_id = self._next_trade_id
        self._next_trade_id += 1
        if order.status == "FILLED":
            self._close(account, order)
        if self.emit:
            self._fill_events(
                account, order, position, price, quantity, commission, realized, trade_id, maker
            )
        if order.algo_id and order.status == "FILLED":
            self._algo_finished(account, order)

    def _fill_events(
        self,
        account: Account,
        order: Order,
        position: Position,
        price: Decimal,
        quantity: Decimal,
        commission: Decimal,
        realized: Decimal,
        trade_id: int,
        maker: bool,
    ) -> None:
        now = order.update_time  # the fill's time (a second clock reading may be 1 ms on)
        trade = {
            "l": fmt(quantity),
            "L": fmt(price),
            "n": commission,
            "rp": realized,
            "t": trade_id,
            "m": maker,
        }
        self.outbox.append(
            (
                order.owner,
                {
                    "e": "TRADE_LITE",
                    "E": now,
                    "T": now,
                    "s": order.symbol,
                    "q": fmt(order.quantity),
                    "p": fmt(order.price),
                    "m": maker,
                    "c": order.client_order_id,
                    "S": order.side,
                    "L": fmt(price),
                    "l": fmt(quantity),
                    "t": trade_id,
                    "i": order.order_id,
                },
            )
        )
        self._order_event(account, order, "TRADE", trade=trade)
        pnl = (self.market.symbols[order.symbol].price - position.entry_price) * position.amount
        self.outbox.append(
            (
                order.owner,
                {
                    "e": "ACCOUNT_UPDATE",
                    "E": now,
                    "T": now,
                    "a": {
                        "m": "ORDER",
                        "B": [
                            {
                                "a": MARGIN_ASSET,
                                "wb": money(account.balances[MARGIN_ASSET]),
                                "cw": money(account.balances[MARGIN_ASSET]),
                                "bc": "0",
                            }
                        ],
                        "P": [
                            {
                                "s": order.symbol,
                                "pa": fmt(position.amount),
                                "ep": fmt(position.entry_price),
                                "bep": fmt(position.entry_price),
                                "cr": fmt(position.realized),
                                "up": money(pnl),
                                "mt": "cross",
                                "iw": "0",
                                "ps": order.position_side,
                            }
                        ],
                    },
                },
            )
        )

    @staticmethod
    def _move_position(position: Position, signed: Decimal, price: Decimal) -> Decimal:
        """Add a fill of ``signed`` quantity at ``price``; return the realized PnL.

        An increase moves the entry price to the weighted average (rounded half-even to 8
        decimals); a decrease realizes ``(price - entry) * closed`` (a short: negated,
        rounded alike); a reversal opens the rest at ``price``.
        """
        amount = position.amount
        if amount == 0 or (amount > 0) == (signed > 0):
            total = amount + signed
            position.entry_price = round8(
                (abs(amount) * position.entry_price + abs(signed) * price) / abs(total)
            )
            position.amount = total
            return Decimal(0)
        closed = min(abs(signed), abs(amount))
        direction = 1 if amount > 0 else -1
        realized = round8((price - position.entry_price) * closed * direction)
        total = amount + signed
        if total == 0:
            position.entry_price = Decimal(0)
        elif (total > 0) != (amount > 0):
            position.entry_price = price
        position.amount = total
        position.realized += realized
        return realized

    def _close(self, account: Account, order: Order) -> None:
        """The order is no longer open: drop it from the book and the open orders."""
        account.open_orders.pop(order.order_id, None)
        resting = self._resting.get(order.symbol)
        if resting is not None and order in resting:
            resting.remove(order)
            self._gtd -= order.time_in_force == "GTD"

    def _end(self, account: Account, order: Order, status: str, reason: str = "0") -> None:
        """Cancel or expire an open order, with its event."""
        order.status = status
        order.update_time = self._clock()
        self._close(account, order)
        self._order_event(account, order, status, reason=reason)
        if order.algo_id:
            self._algo_finished(account, order)

    def _order_event(
        self,
        account: Account,
        order: Order,
        execution: str,
        *,
        trade: Mapping[str, Any] | None = None,
        reason: str = "0",
    ) -> None:
        if not self.emit:
            return
        now = order.update_time  # the change the event tells of: one time, as in the replies
        bid, ask = self.accounts.notionals(account, order.symbol, order.position_side)
        body: dict[str, Any] = {
            "s": order.symbol,
            "c": order.client_order_id,
            "S": order.side,
            "o": order.type,
            "f": order.time_in_force,
            "q": fmt(order.quantity),
            "p": fmt(order.price),
            "ap": fmt(order.average_price),
            "sp": fmt(order.stop_price),
            "x": execution,
            "X": order.status,
            "i": order.order_id,
            "l": trade["l"] if trade else "0",
            "z": fmt(order.executed),
            "L": trade["L"] if trade else "0",
        }
        if trade and trade["n"]:
            body.update(N=MARGIN_ASSET, n=fmt(trade["n"]))
        body.update(
            {
                "T": now,
                "t": trade["t"] if trade else 0,
                "b": money(bid),
                "a": money(ask),
                "m": trade["m"] if trade else False,
                "R": order.reduce_only,
                "wt": order.working_type,
                "ot": order.orig_type or order.type,
                "ps": order.position_side,
                "cp": order.close_position,
                "AP": "0",
                "cr": "0",
                "pP": order.price_protect,
                "si": 0,
                "ss": 0,
                "rp": fmt(trade["rp"]) if trade else "0",
                "V": order.self_trade_prevention_mode,
                "pm": order.price_match,
                "gtd": order.good_till_date,
                "er": reason,
            }
        )
        self.outbox.append(
            (order.owner, {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": body})
        )

    # -- order.status, order.cancel, order.modify ---------------------------------------

    def _find(self, account: Account, params: Mapping[str, Any]) -> Order | None:
        symbol = self.market.get(params["symbol"]).name
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if order_id is not None:
            order = account.orders.get(order_id)
            return order if order is not None and order.symbol == symbol else None
        found = None
        for order in account.orders.values():  # the latest order with the client id
            if order.symbol == symbol and order.client_order_id == client_id:
                found = order
        return found

    def _find_open(self, account: Account, params: Mapping[str, Any], code: int, msg: str) -> Order:
        """The open order ``params`` name; rejected (400, ``code``, ``msg``) when there is none."""
        order = self._find(account, params)
        if order is None or order.status not in OPEN:
            raise Reject(400, code, msg)
        return order

    def query(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``order.status``."""
        order = self._find(self.accounts.account(api_key), params)
        if order is None:
            raise Reject(400, -2013, "Order does not exist.")
        return project(order.wire(), _models.OrderStatusResult)

    def cancel(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``order.cancel``."""
        account = self.accounts.account(api_key)
        order = self._find_open(account, params, -2011, "Unknown order sent.")
        self._end(account, order, "CANCELED")
        return project(order.wire(), _models.OrderCancelResult)

    def modify(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``order.modify`` (FACTS §10 and the Modify-Order page)."""
        account = self.accounts.account(api_key)
        order = self._find_open(account, params, -2013, "Order does not exist.")
        if order.type != "LIMIT":
            raise Reject(400, -5025, "Only limit order is supported.")
        if params["side"] != order.side:
            raise not_valid("side")
        quantity, price = to_decimal(params["quantity"]), to_decimal(params["price"])
        if price <= 0:
            raise not_valid("price")
        if quantity <= 0:
            raise not_valid("quantity")
        symbol = self.market.symbols[order.symbol]
        self._check_filters(symbol, quantity, price, order.closing, notional_code=-5029)
        if quantity == order.quantity and price == order.price:
            raise Reject(400, -5027, "No need to modify the order.")
        if order.modifications >= 10_000:
            raise Reject(400, -5026, "Exceed maximum modify order limit.")
        order.modifications += 1
        order.self_trade_prevention_mode = "NONE"  # FACTS §10: a modification resets it
        order.price_match = params.get("priceMatch", "NONE")
        crosses = price <= symbol.price if order.side == "SELL" else price >= symbol.price
        if quantity <= order.executed or (order.time_in_force == "GTX" and crosses):
            order.quantity, order.price = quantity, price
            self._end(account, order, "CANCELED")
        else:
            order.quantity, order.price = quantity, price
            order.update_time = self._clock()
            self._order_event(account, order, "AMENDMENT")
            self._execute(account, order)  # re-queued (time priority renewed), or matched
        return project(order.wire(), _models.OrderModifyResult)

    # -- algo orders ---------------------------------------------------------------------

    def place_algo(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``algoOrder.place``: a conditional order waiting for its trigger."""
        account = self.accounts.account(api_key)
        symbol = self.market.get(params["symbol"])
        kind = params["type"]
        side = params["side"]
        closing = _true(params, "closePosition")
        position_side = self._position_side(account, params)
        if closing:
            if kind not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
                raise _not_required("closePosition")
            if "quantity" in params:
                raise Reject(400, -4137, "Quantity must be zero with closePosition equals true")
            if "reduceOnly" in params:
                raise _not_required("reduceOnly")
            if position_side != "BOTH" and not self._closes(side, position_side):
                raise Reject(400, -1128, "Combination of optional parameters invalid.")
        elif "quantity" not in params:
            raise mandatory("quantity")
        trailing = kind == "TRAILING_STOP_MARKET"
        if not trailing and "triggerPrice" not in params:
            raise mandatory("triggerPrice")
        if kind in ("STOP", "TAKE_PROFIT") and "price" not in params and "priceMatch" not in params:
            raise mandatory("price")
        quantity = to_decimal(params["quantity"]) if "quantity" in params else Decimal(0)
        if "quantity" in params and quantity <= 0:
            raise not_valid("quantity")
        trigger = to_decimal(params["triggerPrice"]) if "triggerPrice" in params else Decimal(0)
        price = to_decimal(params["price"]) if "price" in params else Decimal(0)
        for value in (trigger, price):
            if value % symbol.tick:
                raise Reject(400, -4014, "Price not increased by tick size.")
        if quantity % symbol.step:
            raise Reject(400, -4023, "Qty not increased by step size.")
        reduce_only = _true(params, "reduceOnly")  # checked when it fires, not before
        now = self._clock()
        activate = Decimal(0)
        rate = Decimal(0)
        if trailing:
            if "callbackRate" not in params:
                raise mandatory("callbackRate")
            rate = to_decimal(params["callbackRate"])
            if not Decimal("0.1") <= rate <= 10:
                raise not_valid("callbackRate")
            activate = (
                to_decimal(params["activatePrice"]) if "activatePrice" in params else symbol.price
            )
            if "activatePrice" in params and (
                activate >= symbol.price if side == "BUY" else activate <= symbol.price
            ):
                raise WOULD_TRIGGER
        elif self._triggers(kind, side, trigger, symbol.price):
            raise WOULD_TRIGGER
        if sum(a["algoStatus"] == "NEW" for a in account.algo_orders.values()) >= MAX_ALGO:
            raise Reject(400, -4045, "Reach max stop order limit.")
        client_id = params.get("clientAlgoId")
        if client_id is not None and CLIENT_ID.fullmatch(client_id) is None:
            raise Reject(400, -4015, "Client order id is not valid.")
        algo_id = self._next_algo_id
        self._next_algo_id += 1
        algo: dict[str, Any] = {
            "algoId": algo_id,
            "clientAlgoId": client_id or f"emulatorAlgo{algo_id}",
            "algoType": params["algoType"],
            "orderType": kind,
            "symbol": symbol.name,
            "side": side,
            "positionSide": position_side,
            "timeInForce": params.get("timeInForce", "GTC"),
            "quantity": fmt(quantity),
            "algoStatus": "NEW",
            "triggerPrice": fmt(trigger),
            "price": fmt(price),
            "icebergQuantity": None,
            "selfTradePreventionMode": params.get("selfTradePreventionMode", "NONE"),
            "workingType": params.get("workingType", "CONTRACT_PRICE"),
            "priceMatch": params.get("priceMatch", "NONE"),
            "closePosition": closing,
            "priceProtect": _true(params, "priceProtect"),
            "reduceOnly": reduce_only,
            "createTime": now,
            "updateTime": now,
            "triggerTime": 0,
            "goodTillDate": params.get("goodTillDate", 0),
            # Not on the wire:
            "_owner": api_key,
            "_activate": activate,
            "_rate": rate,
            "_extreme": symbol.price,
            "_active": trailing
            and (symbol.price <= activate if side == "BUY" else symbol.price >= activate),
            "_order": None,
            "_reason": "",
        }
        account.algo_orders[algo_id] = algo
        self._algos.setdefault(symbol.name, []).append(algo)
        self._algo_event(algo)
        return project(algo, _models.AlgoOrderPlaceResult)

    @staticmethod
    def _triggers(kind: str, side: str, trigger: Decimal, price: Decimal) -> bool:
        if kind in ("STOP", "STOP_MARKET"):
            return price >= trigger if side == "BUY" else price <= trigger
        return price <= trigger if side == "BUY" else price >= trigger

    def cancel_algo(self, api_key: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``algoOrder.cancel`` of an algo order not triggered yet."""
        account = self.accounts.account(api_key)
        algo_id, client_id = params.get("algoId"), params.get("clientAlgoId")
        for algo in account.algo_orders.values():
            if algo_id is not None and algo["algoId"] != algo_id:
                continue
            if client_id is not None and algo["clientAlgoId"] != client_id:
                continue
            if algo["algoStatus"] != "NEW":
                continue
            algo["algoStatus"], algo["updateTime"] = "CANCELED", self._clock()
            self._algos[algo["symbol"]].remove(algo)
            self._algo_event(algo)
            return {
                "algoId": algo["algoId"],
                "clientAlgoId": algo["clientAlgoId"],
                "code": "200",
                "msg": "success",
            }
        raise Reject(400, -2011, "Unknown order sent.")

    def _trigger(self, symbol: Symbol) -> None:
        waiting = self._algos.get(symbol.name)
        if not waiting:
            return
        price = symbol.price
        due = []
        for algo in waiting:
            if algo["orderType"] == "TRAILING_STOP_MARKET":
                buy = algo["side"] == "BUY"
                if not algo["_active"]:
                    algo["_active"] = (
                        price <= algo["_activate"] if buy else price >= algo["_activate"]
                    )
                    algo["_extreme"] = price
                if not algo["_active"]:
                    continue
                algo["_extreme"] = (
                    min(algo["_extreme"], price) if buy else max(algo["_extreme"], price)
                )
                back = algo["_extreme"] * algo["_rate"] / 100
                if price >= algo["_extreme"] + back if buy else price <= algo["_extreme"] - back:
                    due.append(algo)
            elif self._triggers(
                algo["orderType"], algo["side"], Decimal(algo["triggerPrice"]), price
            ):
                due.append(algo)
        for algo in due:
            waiting.remove(algo)
            self._fire(algo, symbol)

    def _fire(self, algo: dict[str, Any], symbol: Symbol) -> None:
        """A triggered algo order places its order (MARKET, or LIMIT at its price)."""
        account = self.accounts.account(algo["_owner"])
        now = self._clock()
        algo.update(algoStatus="TRIGGERING", updateTime=now, triggerTime=now)
        self._algo_event(algo)
        kind = "LIMIT" if algo["orderType"] in ("STOP", "TAKE_PROFIT") else "MARKET"
        side, position_side = algo["side"], algo["positionSide"]
        quantity = Decimal(algo["quantity"])
        closing = algo["closePosition"] or algo["reduceOnly"] or self._closes(side, position_side)
        try:
            if algo["closePosition"]:
                amount = self._amount(account, symbol.name, position_side)
                if (side == "SELL" and amount <= 0) or (side == "BUY" and amount >= 0):
                    raise REDUCE_ONLY_REJECT
                quantity = abs(amount)
            elif closing:
                self._check_reduce(account, symbol.name, side, position_side, quantity)
            price = Decimal(algo["price"])
            if kind == "LIMIT" and algo["priceMatch"] != "NONE":
                price = self._match_price(symbol, side, algo["priceMatch"])
        except Reject as rejection:
            algo.update(algoStatus="REJECTED", _reason=rejection.msg)
            self._algo_event(algo)
            return
        order = Order(
            order_id=self._next_order_id,
            symbol=symbol.name,
            client_order_id=f"emulator{self._next_order_id}",
            side=side,
            type=kind,
            time_in_force=algo["timeInForce"] if kind == "LIMIT" else "GTC",
            quantity=quantity,
            price=price if kind == "LIMIT" else Decimal(0),
            position_side=position_side,
            reduce_only=algo["reduceOnly"] or algo["closePosition"],
            price_match=algo["priceMatch"],
            self_trade_prevention_mode=algo["selfTradePreventionMode"],
            good_till_date=algo["goodTillDate"],
            time=now,
            update_time=now,
            owner=algo["_owner"],
            closing=closing,
            close_position=algo["closePosition"],
            orig_type=algo["orderType"],
            stop_price=Decimal(algo["triggerPrice"]),
            working_type=algo["workingType"],
            price_protect=algo["priceProtect"],
            algo_id=algo["algoId"],
        )
        self._next_order_id += 1
        algo["_order"] = order
        self._accept(account, order)
        algo["algoStatus"] = "TRIGGERED"
        self._algo_event(algo)
        self._execute(account, order)

    def _algo_finished(self, account: Account, order: Order) -> None:
        algo = account.algo_orders.get(order.algo_id)
        if algo is not None and algo["algoStatus"] == "TRIGGERED":
            algo.update(algoStatus="FINISHED", updateTime=self._clock())
            self._algo_event(algo)

    def _algo_event(self, algo: dict[str, Any]) -> None:
        if not self.emit:
            return
        now = self._clock()
        order: Order | None = algo["_order"]
        body = {
            "caid": algo["clientAlgoId"],
            "aid": algo["algoId"],
            "at": algo["algoType"],
            "o": algo["orderType"],
            "s": algo["symbol"],
            "S": algo["side"],
            "ps": algo["positionSide"],
            "f": algo["timeInForce"],
            "q": algo["quantity"],
            "X": algo["algoStatus"],
            "ai": str(order.order_id) if order else "",
            "ap": fmt(order.average_price) if order else "0",
            "aq": fmt(order.executed) if order else "0",
            "act": order.type if order else "0",
            "tp": algo["triggerPrice"],
            "p": algo["price"],
            "V": algo["selfTradePreventionMode"],
            "wt": algo["workingType"],
            "pm": algo["priceMatch"],
            "cp": algo["closePosition"],
            "pP": algo["priceProtect"],
            "R": algo["reduceOnly"],
            "tt": algo["triggerTime"],
            "gtd": algo["goodTillDate"],
            "rm": algo["_reason"],
        }
        self.outbox.append((algo["_owner"], {"e": "ALGO_UPDATE", "E": now, "T": now, "o": body}))

    # -- what tests read -----------------------------------------------------------------

    def resting(self, symbol: str) -> Iterable[Order]:
        """The open orders resting on ``symbol`` (every account's), in the book's order."""
        return list(self._resting.get(symbol, ()))
