from __future__ import annotations

import pytest

from binance_usdm_ws import errors
from binance_usdm_ws.errors import (
    ApiError,
    BadRequestError,
    BinanceWsError,
    ConnectionClosedError,
    ForbiddenError,
    InvalidApiKeyError,
    IpBannedError,
    ListenKeyNotFoundError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    UnauthorizedError,
    error_class,
    error_from_reply,
    redact,
)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, -1102, BadRequestError),
        (400, -1125, ListenKeyNotFoundError),
        (401, -2014, InvalidApiKeyError),
        (401, -2015, InvalidApiKeyError),
        (401, -1002, UnauthorizedError),
        (403, -1000, ForbiddenError),
        (418, -1003, IpBannedError),
        (429, -1003, RateLimitedError),
        (429, -1015, RateLimitedError),
        (500, -1000, ServerError),
        (503, -1001, ServerError),
        (408, -1007, ApiError),
        (409, -1000, ApiError),
    ],
)
def test_factory(status: int, code: int, cls: type[ApiError]) -> None:
    assert error_class(status, code) is cls
    error = error_from_reply(status=status, code=code, msg="m", request_id=7, method="x.y")
    assert type(error) is cls
    assert (error.status, error.code, error.msg, error.request_id, error.method) == (
        status,
        code,
        "m",
        7,
        "x.y",
    )


def test_hierarchy() -> None:
    assert issubclass(ListenKeyNotFoundError, BadRequestError)
    assert issubclass(InvalidApiKeyError, UnauthorizedError)
    for cls in (
        BadRequestError,
        UnauthorizedError,
        ForbiddenError,
        IpBannedError,
        RateLimitedError,
        ServerError,
    ):
        assert issubclass(cls, ApiError)
    for cls in (ApiError, ConnectionClosedError, RequestTimeoutError, ProtocolError):
        assert issubclass(cls, BinanceWsError)
    assert issubclass(RequestTimeoutError, TimeoutError)


def test_the_module_docstring_draws_every_exception() -> None:
    doc = errors.__doc__ or ""
    exported = [n for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    for name in exported:
        assert name in doc, name


def test_str_and_repr() -> None:
    error = error_from_reply(
        status=400,
        code=-1125,
        msg="This listenKey does not exist.",
        request_id="abc",
        method="userDataStream.ping",
    )
    assert str(error) == (
        "status 400, code -1125: This listenKey does not exist. (userDataStream.ping, id 'abc')"
    )
    assert repr(error).startswith("ListenKeyNotFoundError(status=400, code=-1125,")


def test_retry_after_only_from_an_integer() -> None:
    assert error_from_reply(status=429, code=-1003, msg="m").retry_after is None
    assert (
        error_from_reply(status=429, code=-1003, msg="m", data={"retryAfter": 123}).retry_after
        == 123
    )
    assert (
        error_from_reply(status=429, code=-1003, msg="m", data={"retryAfter": "soon"}).retry_after
        is None
    )
    assert (
        error_from_reply(status=429, code=-1003, msg="m", data={"retryAfter": True}).retry_after
        is None
    )


def test_with_request_copies_class_and_fields() -> None:
    error = error_from_reply(status=401, code=-2015, msg="m", data={"a": 1})
    copy = error.with_request("id9", "userDataStream.ping")
    assert type(copy) is InvalidApiKeyError
    assert (copy.request_id, copy.method, copy.data) == ("id9", "userDataStream.ping", {"a": 1})
    assert error.request_id is None


def test_redact() -> None:
    key = "vmPUZE6mv9SD5VNHk9HlWFsOr9aLE2zvsw0MuIgwCIPy8atIco14y7Ju91duEh8A"
    assert redact(key) == "vmPU…"
    assert redact("short") == "…"
    assert redact(None) == "None"
