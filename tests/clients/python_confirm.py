"""The Python MCP client (PyPI `mcp` 2.x) answering a gateway's confirmation question.

Usage: python_confirm.py URL accept|decline. Calls resolveIncident on a gateway with
MCP_CONFIRM_WRITES=elicit; its elicitation callback answers as the person would and records
what it was asked. Prints one JSON line; tests/e2e/confirm.test.mjs runs it with the venv that
scripts/setup.sh makes and checks what reached the stand-in cluster.
"""

import asyncio
import json
import sys

from mcp import Client, types


async def main(url: str, action: str) -> None:
    asked = []

    async def person(_context, params):
        asked.append(params.message)
        return types.ElicitResult(action=action, content={} if action == "accept" else None)

    async with Client(url, elicitation_callback=person) as client:
        result = await client.call_tool("resolveIncident", {"incidentKey": "2251799813685249"})
        print(
            json.dumps(
                {
                    "protocolVersion": client.protocol_version,
                    "asked": asked,
                    "isError": result.is_error,
                    "text": result.content[0].text if result.content else "",
                }
            )
        )


asyncio.run(main(sys.argv[1], sys.argv[2]))
