import copy
import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from uvicorn.config import LOGGING_CONFIG


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own console logging, with every handler masking API keys (its WebSocket line has the query)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": "monitoring.logfilters.RedactSecretsFilter"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "redact"]
    return config


class Command(BaseCommand):
    help = "Serve HTTP and WebSocket with uvicorn on ARGUS_HOST:ARGUS_PORT (ARGUS_WORKERS processes in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=None, help="worker processes (default: ARGUS_WORKERS)")

    def handle(self, *args: Any, **options: Any) -> None:
        # The embedded default is one process: its in-memory channel layer and scheduler live there.
        workers = options["workers"] or (settings.ARGUS_WORKERS if settings.USE_REDIS else 1)
        self.stdout.write(f"Argus on http://{settings.ARGUS_HOST}:{settings.ARGUS_PORT} ({workers} worker(s))")
        # Each worker sizes its PostgreSQL pool from the worker count (settings/database.py).
        os.environ["ARGUS_WORKERS"] = str(workers)
        if workers > 1 and not os.environ.get("ARGUS_MCP_HTTP_STATELESS"):
            # Each worker imports the settings afresh from this environment (see settings/server.py).
            os.environ["ARGUS_MCP_HTTP_STATELESS"] = "true"
            self.stdout.write("MCP over HTTP is stateless: several workers share the port")
        uvicorn.run(
            "argus_site.asgi:application",
            host=settings.ARGUS_HOST,
            port=settings.ARGUS_PORT,
            workers=workers,
            lifespan="on",
            http="argus_site.http:BoundedHttpToolsProtocol",  # a bound on request heads
            # permessage-deflate at the guide's level, only for clients that offer it (argus_site/http.py).
            ws="argus_site.http:DeflateWebSocketProtocol",
            ws_per_message_deflate=bool(settings.ARGUS_WS_COMPRESSION_LEVEL),
            # Frames up to 1 MiB reach the consumer, which answers oversized messages with an error;
            # protocol pings keep NATs open and close peers that miss them.
            ws_max_size=1024 * 1024,
            ws_ping_interval=settings.ARGUS_WS_HEARTBEAT_INTERVAL,
            ws_ping_timeout=settings.ARGUS_WS_HEARTBEAT_INTERVAL,
            # X-Forwarded-For (and -Proto) are resolved by one function, monitoring.edge.client_address
            # (ARGUS_TRUST_X_FORWARDED_FOR, ARGUS_TRUSTED_PROXIES); uvicorn's own handling stays off
            # so the header is never read twice.
            proxy_headers=False,
            log_config=uvicorn_log_config(),
            log_level=settings.ARGUS_LOG_LEVEL.lower(),
            access_log=False,
        )
