-- wrk script: POST /api/auth/refresh with real rotation. Each thread owns a queue of refresh tokens
-- (one per session, more than its connections); a request takes one, its response's Set-Cookie puts
-- the rotated token back, so no token is ever presented twice.
local tokens = {}
local next_thread = 1
local per_thread = tonumber(os.getenv("TOKENS_PER_THREAD") or "64")

function setup(thread)
  thread:set("first", (next_thread - 1) * per_thread + 1)
  thread:set("count", per_thread)
  next_thread = next_thread + 1
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("TOKEN_FILE")) do all[#all + 1] = line end
  for i = first, first + count - 1 do tokens[#tokens + 1] = all[i] end
end

function request()
  local token = table.remove(tokens, 1)
  if token == nil then error("ran out of refresh tokens: a response carried no rotated token") end
  return wrk.format("POST", "/api/auth/refresh", { ["Cookie"] = "refreshToken=" .. token })
end

function response(status, headers, body)
  local cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if cookie then
    local token = string.match(cookie, "refreshToken=([^;]+)")
    if token then tokens[#tokens + 1] = token end
  end
end
