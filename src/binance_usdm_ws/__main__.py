"""``python -m binance_usdm_ws``: the same as the ``binance-usdm-ws`` command."""

from ._cli import main

raise SystemExit(main())
