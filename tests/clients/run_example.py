"""Run one documentation example as its reader would: `python run_example.py EXAMPLE.py` (ARGUS_URL set).

The example's text is run unchanged except for the base URL: `http://localhost:8001` (and its
`ws://` form) becomes `$ARGUS_URL`. Top-level `await` (the guide's snippets are notebook-style)
runs in one event loop. Names a snippet uses but that the guide defines elsewhere (`client`,
`cache_optimizer`, `PoolConfiguration`, ...) are given by PREAMBLES, each the guide's own import
or construction, so every snippet also runs on its own.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import sys
from pathlib import Path

BASE = "http://localhost:8001"

_CLIENT = "from argus_mcp.data_service_client import DataServiceClient\nclient = DataServiceClient()\n"
_CACHE = "from argus_mcp.cache_optimizer import cache_optimizer\n"
_POOLS = "from argus_mcp.dynamic_connection_pool import PoolConfiguration, connection_pool_manager\n"
_TTL_TABLE = (Path(__file__).parent / "examples" / "guide_05_ttl_table.py").read_text(encoding="utf-8")
_MONITORS = "from argus_mcp.monitor import get_system_metrics, service_monitor, system_monitor\n"

PREAMBLES: dict[str, str] = {
    "guide_02_history": _CLIENT,
    # The guide asks `pool.get_metrics()` of the pool it just created (by name).
    "guide_04_connection_pool": _POOLS + 'pool = connection_pool_manager.get_pool("market_data_pool")\n',
    "guide_06_preload": _CACHE,
    "guide_07_batch": _CLIENT + 'symbols = ["000001.SZ", "000002.SZ", "000858.SZ"]\n',
    "guide_08_pool_configuration": _POOLS,
    "guide_11_timeout": "from argus_mcp.data_service_client import DataServiceClient\n",
    "guide_12_low_hit_rate": _CACHE,
    # `cache_config` is the dict of the guide's TTL snippet (guide_05) in the guide's flow.
    "guide_13_memory": _CACHE + _TTL_TABLE,
    "guide_15_monitoring": _MONITORS,
    "guide_16_access_patterns": _CLIENT,
    "guide_18_error_handling": _CLIENT,
    "guide_19_resources": _CACHE + _POOLS + "from argus_mcp.data_service_client import DataServiceClient\n",
    "guide_20_alerts": _MONITORS,
}


def source_of(path: Path, base_url: str) -> str:
    text = path.read_text(encoding="utf-8")
    ws_base = base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return text.replace(BASE, base_url).replace(BASE.replace("http://", "ws://"), ws_base)


def main() -> None:
    path = Path(sys.argv[1])
    base_url = os.environ["ARGUS_URL"]
    namespace: dict[str, object] = {"__name__": "__main__", "__file__": str(path)}
    exec(PREAMBLES.get(path.stem, ""), namespace)
    code = compile(source_of(path, base_url), str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)  # a coroutine when the snippet awaits at top level
    if inspect.iscoroutine(result):
        asyncio.run(result)


if __name__ == "__main__":
    main()
