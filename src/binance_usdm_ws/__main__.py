"""``python -m binance_usdm_ws``: the same as the ``binance-usdm-ws`` command."""

import sys

from ._cli import main

sys.exit(main())
