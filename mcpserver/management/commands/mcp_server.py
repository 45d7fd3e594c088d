from typing import Any

import anyio
from django.core.management.base import BaseCommand

from mcpserver.server import build_server


class Command(BaseCommand):
    help = "Serve Argus's MCP tools and quote resources over stdio (for desktop agents). Logs go to stderr."

    def handle(self, *args: Any, **options: Any) -> None:
        # stdout is the protocol: nothing else may be written to it.
        anyio.run(build_server().run_stdio_async)
