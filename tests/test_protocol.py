"""The sans-I/O core: strings in, outcomes out; no socket, no event loop."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from binance_usdm_ws import (
    ApiError,
    InvalidApiKeyError,
    ListenKeyNotFoundError,
    ProtocolError,
    RateLimitType,
    RequestTimeoutError,
    ServerError,
    UnauthorizedError,
    UserDataStreamPingResponse,
    UserDataStreamStopResponse,
)
from binance_usdm_ws._core.internals import USE_INTERNALS
from binance_usdm_ws._core.protocol import Protocol, _loads, _make_dumps, dumps

from .conftest import prepare


def counter_ids() -> Any:
    numbers = itertools.count(1)
    return lambda: f"r{next(numbers)}"


@pytest.fixture
def protocol() -> Protocol[str]:
    return Protocol(id_factory=counter_ids())


def reply(request_id: Any, **body: Any) -> str:
    return json.dumps({"id": request_id, **body})


def test_default_ids_are_integers_unique_across_connections() -> None:
    a, b = Protocol[str](), Protocol[str]()
    ids = [prepare(p, "m", {}, UserDataStreamPingResponse, "w")[0] for p in (a, b) * 500]
    assert all(type(i) is int and 0 < i < 2**63 for i in ids)  # the API's integer id range
    assert len(set(ids)) == 1000
    request_id, text = prepare(a, "m", {}, UserDataStreamPingResponse, "w")
    assert text == f'{{"id":{request_id},"method":"m"}}'
    [outcome] = a.receive(reply(request_id, status=200, result={"listenKey": "k"}))
    assert outcome.result.id == request_id


def test_encode_makes_one_compact_json_request(protocol: Protocol[str]) -> None:
    request_id, text = prepare(
        protocol, "userDataStream.ping", {"apiKey": "k"}, UserDataStreamPingResponse, "waiter"
    )
    assert request_id == "r1"
    assert text == '{"id":"r1","method":"userDataStream.ping","params":{"apiKey":"k"}}'
    assert len(protocol) == 1
    _, text = prepare(protocol, "session.status", {}, UserDataStreamStopResponse, "w2")
    assert text == '{"id":"r2","method":"session.status"}'  # no params: left out


def test_a_reply_before_register_is_dropped(protocol: Protocol[str]) -> None:
    request_id, text = protocol.encode("userDataStream.ping", {"apiKey": "k"})
    assert text == '{"id":"r1","method":"userDataStream.ping","params":{"apiKey":"k"}}'
    assert len(protocol) == 0  # nothing registered: a reply now would be dropped
    assert protocol.receive(reply(request_id, status=200, result={"listenKey": "k"})) == []
    protocol.register(request_id, "userDataStream.ping", UserDataStreamPingResponse, "A")
    [outcome] = protocol.receive(reply(request_id, status=200, result={"listenKey": "k"}))
    assert outcome.waiter == "A" and outcome.result.result.listen_key == "k"


def test_replies_go_to_their_own_request_in_any_order(protocol: Protocol[str]) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    b, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "B")
    [outcome_b] = protocol.receive(reply(b, status=200, result={"listenKey": "kb"}))
    [outcome_a] = protocol.receive(reply(a, status=200, result={"listenKey": "ka"}))
    assert (outcome_a.waiter, outcome_a.result.result.listen_key) == ("A", "ka")
    assert (outcome_b.waiter, outcome_b.result.result.listen_key) == ("B", "kb")
    assert outcome_a.error is None and len(protocol) == 0


def test_a_reply_is_delivered_once(protocol: Protocol[str]) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    frame = reply(a, status=200, result={"listenKey": "k"})
    assert len(protocol.receive(frame)) == 1
    assert protocol.receive(frame) == []  # a duplicate is dropped


def test_unknown_id_and_forgotten_requests_are_dropped(
    protocol: Protocol[str], caplog: pytest.LogCaptureFixture
) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    protocol.forget(a)
    with caplog.at_level(logging.DEBUG, logger="binance_usdm_ws"):
        assert protocol.receive(reply(a, status=200, result={"listenKey": "k"})) == []
        assert protocol.receive(reply("other", status=200, result={})) == []
    assert "unknown id" in caplog.text


def test_error_reply_maps_to_the_exception_class(protocol: Protocol[str]) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    rate_limits = [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": 2400,
            "count": 3,
        }
    ]
    [outcome] = protocol.receive(
        reply(
            a,
            status=400,
            error={"code": -1125, "msg": "This listenKey does not exist."},
            rateLimits=rate_limits,
        )
    )
    error = outcome.error
    assert isinstance(error, ListenKeyNotFoundError)
    assert (error.status, error.code, error.request_id, error.method) == (
        400,
        -1125,
        a,
        "userDataStream.ping",
    )
    assert error.rate_limits is not None
    assert error.rate_limits[0].rate_limit_type is RateLimitType.REQUEST_WEIGHT


def test_error_data_and_retry_after(protocol: Protocol[str]) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    [outcome] = protocol.receive(
        reply(
            a,
            status=503,
            error={
                "code": -1001,
                "msg": "Internal error",
                "data": {"serverTime": 1, "retryAfter": 2},
            },
        )
    )
    assert isinstance(outcome.error, ServerError)
    assert outcome.error.data == {"serverTime": 1, "retryAfter": 2}
    assert outcome.error.retry_after == 2


def test_null_id_error_fails_every_pending_request(protocol: Protocol[str]) -> None:
    ids = [
        prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, w)[0]
        for w in ("A", "B")
    ]
    outcomes = protocol.receive(
        reply(
            None,
            status=401,
            error={"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
        )
    )
    assert [o.waiter for o in outcomes] == ["A", "B"]
    errors = [o.error for o in outcomes]
    assert all(isinstance(e, InvalidApiKeyError) for e in errors)
    assert [e.request_id for e in errors if isinstance(e, ApiError)] == ids
    assert errors[0] is not errors[1]
    assert len(protocol) == 0


def test_status_error_without_code_class(protocol: Protocol[str]) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    [outcome] = protocol.receive(reply(a, status=401, error={"code": -1002, "msg": "no"}))
    assert type(outcome.error) is UnauthorizedError


@pytest.mark.parametrize(
    "body",
    [
        {"status": 200, "result": {}},  # listenKey missing
        {"status": 200, "result": {"listenKey": 5}},  # wrong type
        {"status": 200, "result": []},
        {"status": 200},
        {"status": 400},  # no error object
        {"status": 400, "error": {"code": "x", "msg": "m"}},
        {"status": "200", "result": {"listenKey": "k"}},
        {"status": 200, "result": {"listenKey": "k"}, "rateLimits": [{"rateLimitType": "X"}]},
    ],
)
def test_undecodable_reply_is_a_protocol_error_for_its_call(
    protocol: Protocol[str], body: dict[str, Any]
) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    [outcome] = protocol.receive(reply(a, **body))
    assert isinstance(outcome.error, ProtocolError)
    assert "userDataStream.ping" in str(outcome.error)


def test_unknown_fields_are_tolerated(protocol: Protocol[str]) -> None:
    a, _ = prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    [outcome] = protocol.receive(
        reply(a, status=200, result={"listenKey": "k", "new": 1}, extra=True)
    )
    assert outcome.result.result.listen_key == "k"


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1]",
        "null",
        b"\x00\x01",
        '{"status": 200}',
        '{"id": null, "status": 200, "result": {}}',
        '{"id": 1.5, "status": 400}',
        '{"id": [1], "status": 200}',
    ],
)
def test_frames_no_call_can_be_blamed_for_are_logged_and_dropped(
    protocol: Protocol[str], caplog: pytest.LogCaptureFixture, frame: str | bytes
) -> None:
    prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A")
    with caplog.at_level(logging.WARNING, logger="binance_usdm_ws"):
        assert protocol.receive(frame) == []
    assert "dropped" in caplog.text
    assert len(protocol) == 1  # the pending call is untouched


def test_fail_all(protocol: Protocol[str]) -> None:
    prepare(protocol, "a.b", {}, UserDataStreamPingResponse, "A")
    prepare(protocol, "c.d", {}, UserDataStreamPingResponse, "B")
    outcomes = protocol.fail_all(lambda rid, method: ProtocolError(f"{method} {rid}"))
    assert [(o.waiter, str(o.error)) for o in outcomes] == [("A", "a.b r1"), ("B", "c.d r2")]
    assert len(protocol) == 0


# The hot path's own JSON and id functions must behave exactly as the stdlib ones they replace.

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


ENCODERS = {"internals": _make_dumps(True), "public fallback": _make_dumps(False)}


def test_the_shortcut_is_taken_unless_internals_are_off_and_the_fallback_is_public() -> None:
    public = _make_dumps(False)
    assert isinstance(public.__self__, json.JSONEncoder)  # type: ignore[attr-defined]
    assert ENCODERS["internals"] != public  # CPython has _json.make_encoder
    assert (dumps == public) is not USE_INTERNALS


@pytest.mark.parametrize("encoder", ENCODERS.values(), ids=ENCODERS.keys())
@given(value=JSON)
def test_dumps_is_compact_json_dumps(encoder: Callable[[Any], str], value: Any) -> None:
    assert encoder(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("encoder", ENCODERS.values(), ids=ENCODERS.keys())
def test_dumps_rejects_what_json_dumps_rejects(encoder: Callable[[Any], str]) -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        encoder({"a": object()})


@given(JSON, st.sampled_from(["", " ", "\n", "\t "]), st.sampled_from(["", " ", "\r\n"]))
def test_loads_is_json_loads(value: Any, before: str, after: str) -> None:
    text = before + json.dumps(value) + after
    assert _loads(text) == json.loads(text)


@pytest.mark.parametrize("text", ["", " ", "{", '{"a":1} x', '{"a":1}{}', "\ufeff{}", "NaN x"])
def test_loads_rejects_what_json_loads_rejects(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        _loads(text)
    assert str(got.value) == str(expected.value)


# Deadlines: one alarm for the connection, expire() fails what is overdue.


def test_a_request_past_its_deadline_fails_in_expire(protocol: Protocol[str]) -> None:
    a, _ = prepare(
        protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, "A", timeout=1, now=10
    )
    assert protocol.alarm() == 11
    assert protocol.expire(10.999) == []
    [outcome] = protocol.expire(11)
    assert outcome.waiter == "A" and isinstance(outcome.error, RequestTimeoutError)
    assert str(outcome.error) == f"userDataStream.ping (id {a!r}): no reply within 1 s"
    assert len(protocol) == 0 and protocol.alarm() is None
    # Its late reply is then dropped like any reply to an unknown id.
    assert protocol.receive(reply(a, status=200, result={"listenKey": "k"})) == []


def test_one_alarm_serves_later_deadlines_and_an_earlier_one_rearms(
    protocol: Protocol[str],
) -> None:
    prepare(protocol, "a.b", {}, UserDataStreamPingResponse, "A", timeout=10, now=0)
    assert protocol.alarm() == 10
    prepare(protocol, "a.b", {}, UserDataStreamPingResponse, "B", timeout=10, now=1)
    assert protocol.alarm() is None  # the timer armed for 10 comes first
    prepare(protocol, "a.b", {}, UserDataStreamPingResponse, "C", timeout=2, now=2)
    assert protocol.alarm() == 4  # earlier than the armed timer
    prepare(protocol, "a.b", {}, UserDataStreamPingResponse, "D")  # no timeout: never expires
    assert [o.waiter for o in protocol.expire(4)] == ["C"]
    assert protocol.alarm() == 10
    assert [o.waiter for o in protocol.expire(11)] == ["A", "B"]
    assert protocol.alarm() is None and len(protocol) == 1


def test_settled_requests_never_expire_and_leave_no_deadlines_behind(
    protocol: Protocol[str],
) -> None:
    prepare(protocol, "stuck", {}, UserDataStreamPingResponse, "S", timeout=30, now=0)
    assert protocol.alarm() == 30
    for i in range(1000):
        rid, _ = prepare(
            protocol, "a.b", {}, UserDataStreamPingResponse, str(i), timeout=10, now=i / 100
        )
        if i % 2:
            protocol.forget(rid)
        else:
            [done] = protocol.receive(reply(rid, status=200, result={"listenKey": "k"}))
            assert done.error is None
        assert protocol.alarm() is None
        assert len(protocol._deadlines) <= 2 * len(protocol) + 64 + 1
    assert [o.waiter for o in protocol.expire(1000)] == ["S"]
    assert protocol._deadlines == []


def test_fail_all_drops_the_deadlines_too(protocol: Protocol[str]) -> None:
    prepare(protocol, "a.b", {}, UserDataStreamPingResponse, "A", timeout=1, now=0)
    assert protocol.alarm() == 1
    protocol.fail_all(lambda rid, method: ProtocolError(method))
    assert protocol.expire(5) == [] and protocol.alarm() is None
