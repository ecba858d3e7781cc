-- wrk: POST the JSON-RPC body in BODY_FILE with an MCP client's headers.
local f = assert(io.open(os.getenv("BODY_FILE"), "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["content-type"] = "application/json"
wrk.headers["accept"] = "application/json, text/event-stream"
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["authorization"] = "Bearer " .. token
end
-- EXTRA_HEADERS: "name=value;name=value" (the 2026-07-28 lane's MCP-Protocol-Version, Mcp-Method…).
for pair in string.gmatch(os.getenv("EXTRA_HEADERS") or "", "[^;]+") do
  local name, value = string.match(pair, "^([^=]+)=(.*)$")
  wrk.headers[name] = value
end
