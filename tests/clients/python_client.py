"""A real Python MCP client (PyPI `mcp`, default connect mode "auto") against the gateway.

Usage: python_client.py URL. Prints one JSON line of what it saw; tests/e2e/clients.test.mjs
runs it with the venv that scripts/setup.sh makes, and checks the requests the Worker logged.
"""

import asyncio
import json
import sys

from mcp import Client


async def main(url: str) -> None:
    async with Client(url) as client:
        tools = await client.list_tools()
        topology = await client.call_tool("getTopology", {})
        search = await client.call_tool("searchIncidents", {"filter": {"state": "ACTIVE"}})
        print(
            json.dumps(
                {
                    "protocolVersion": client.protocol_version,
                    "tools": len(tools.tools),
                    "topologyError": topology.is_error,
                    "brokers": len((topology.structured_content or {}).get("brokers", [])),
                    "searchError": search.is_error,
                    "items": len((search.structured_content or {}).get("items", [])),
                }
            )
        )


asyncio.run(main(sys.argv[1]))
