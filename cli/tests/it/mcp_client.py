"""An MCP client run by the mcplocal tests: the official Python SDK (PyPI `mcp`) over STDIO,
launched from .mcp.json exactly as Claude Code launches a server.

Usage: python mcp_client.py MCP_JSON ENTRY SCRIPT_JSON

SCRIPT_JSON is a list of steps; each prints one JSON line to stdout with what it saw:
  {"do": "initialize"}
  {"do": "tools"} | {"do": "prompts"} | {"do": "resources"}
  {"do": "call", "name": N, "arguments": {...}}  also reports progress and log messages
                                                 that arrived during the call
  {"do": "prompt", "name": N, "arguments": {...}}
  {"do": "read", "uri": U}
  {"do": "run", "argv": [...]}                  a command, e.g. mcpctl attach-server
  {"do": "wait_notification", "method": M, "timeout": S}
  {"do": "drill", "name": N}                    calls N again with the `_resultId` and the
                                                 first `[section]` of the previous call's text
"""

import asyncio
import json
import re
import subprocess
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


def emit(step, **seen):
    print(json.dumps({"step": step, **seen}), flush=True)


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def main():
    mcp_json, entry, script = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    server = json.load(open(mcp_json))["mcpServers"][entry]
    params = StdioServerParameters(
        command=server["command"], args=server.get("args", []), env=server.get("env")
    )
    notifications = []
    arrived = asyncio.Event()

    async def on_message(message):
        method = getattr(getattr(message, "root", message), "method", None)
        if method:
            notifications.append(method)
            arrived.set()

    logs = []
    last_result = None

    async def on_log(params):
        logs.append(params.data)

    async def on_sampling(context, params):
        asked = " ".join(
            block.text for message in params.messages
            for block in (message.content if isinstance(message.content, list) else [message.content])
            if getattr(block, "type", None) == "text"
        )
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=f"sampled: {asked}"),
            model="loopback-model",
        )

    async with stdio_client(params) as (read, write):
        async with ClientSession(
            read, write, message_handler=on_message, logging_callback=on_log,
            sampling_callback=on_sampling,
            sampling_capabilities=types.SamplingCapability(),
        ) as session:
            for step in script:
                do = step["do"]
                try:
                    if do == "initialize":
                        init = await session.initialize()
                        emit(do, server=init.server_info.name, protocol=init.protocol_version,
                             capabilities=dump(init.capabilities))
                    elif do == "tools":
                        emit(do, names=[t.name for t in (await session.list_tools()).tools])
                    elif do == "prompts":
                        emit(do, names=[p.name for p in (await session.list_prompts()).prompts])
                    elif do == "resources":
                        emit(do, uris=[str(r.uri) for r in (await session.list_resources()).resources])
                    elif do == "call":
                        progress = []

                        async def on_progress(done, total, message):
                            progress.append(message)

                        logs.clear()
                        result = await session.call_tool(
                            step["name"], step.get("arguments", {}), progress_callback=on_progress
                        )
                        last_result = result
                        emit(do, name=step["name"], result=dump(result), progress=progress,
                             logs=list(logs))
                    elif do == "drill":
                        text = "\n".join(
                            block.text for block in last_result.content
                            if getattr(block, "type", None) == "text"
                        )
                        result_id = re.search(r"pm-[A-Za-z0-9-]+", text).group(0)
                        section = re.search(r"^\s*\[([^\]]+)\]", text, re.M).group(1)
                        arguments = {"_resultId": result_id, "_section": section}
                        result = await session.call_tool(step["name"], arguments)
                        emit(do, name=step["name"], arguments=arguments, result=dump(result))
                    elif do == "prompt":
                        result = await session.get_prompt(step["name"], step.get("arguments"))
                        emit(do, name=step["name"], result=dump(result))
                    elif do == "read":
                        result = await session.read_resource(step["uri"])
                        emit(do, uri=step["uri"], result=dump(result))
                    elif do == "run":
                        done = subprocess.run(step["argv"], capture_output=True, text=True)
                        emit(do, code=done.returncode, stdout=done.stdout, stderr=done.stderr)
                    elif do == "wait_notification":
                        deadline = asyncio.get_running_loop().time() + step.get("timeout", 10)
                        while step["method"] not in notifications:
                            left = deadline - asyncio.get_running_loop().time()
                            if left <= 0:
                                break
                            arrived.clear()
                            try:
                                await asyncio.wait_for(arrived.wait(), left)
                            except asyncio.TimeoutError:
                                break
                        emit(do, method=step["method"], seen=list(notifications))
                    else:
                        emit(do, error=f"unknown step {do}")
                except Exception as error:  # the test asserts on what failed
                    emit(do, error=str(error))


asyncio.run(main())
