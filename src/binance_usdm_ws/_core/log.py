"""The SDK's loggers (``binance_usdm_ws``, ``.websockets`` for websockets' output) and the filter
keeping API keys and signatures out of them (the SDK names keys only through
:func:`~.errors.redact`; secrets and private keys, never)."""

import logging
import re
from typing import Any

__all__ = ["ApiKeyRedactor", "logger", "websockets_logger"]

# A JSON (or repr'd JSON) apiKey member, possibly cut off by a log line's size limit.
_API_KEY_VALUE = re.compile(r"""(["']apiKey\\?["']\s*:\s*\\?["'])([^"'\\]{0,4})[^"'\\]*""")
_SIGNATURE_VALUE = re.compile(r"""(["']signature\\?["']\s*:\s*\\?["'])[^"'\\]*""")


class ApiKeyRedactor(logging.Filter):
    """Cuts every ``apiKey`` value in a record's message to 4 characters and ``…``, every
    ``signature`` value to ``…``, and a websockets frame record to its direction, type and
    size (a cut frame could end in a key)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # websockets logs each frame as one Frame argument (not imported here: no I/O in _core).
        if isinstance(args, tuple) and len(args) == 1 and type(args[0]).__name__ == "Frame":
            frame: Any = args[0]
            direction = str(record.msg)[:1]  # websockets logs "> %s" (sent) or "< %s"
            record.msg = f"{direction} %s [%d bytes]"
            record.args = (frame.opcode.name, len(frame.data))
        elif "apiKey" in (message := record.getMessage()) or "signature" in message:
            message = _API_KEY_VALUE.sub(r"\1\2…", message)
            record.msg, record.args = _SIGNATURE_VALUE.sub(r"\1…", message), None
        return True


logger = logging.getLogger("binance_usdm_ws")
websockets_logger = logging.getLogger("binance_usdm_ws.websockets")
for _logger in (logger, websockets_logger):
    _logger.addFilter(ApiKeyRedactor())
