-- wrk script for /oidc/token. MODE=code: each request spends one authorization code of the thread's
-- share of TOKEN_FILE (a code is good once). MODE=refresh: each thread owns a queue of refresh tokens;
-- a response's rotated token goes back in, so no token is presented twice.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "token_queue.lua")

local mode = os.getenv("MODE") or "code"
local client = "&client_id=" .. os.getenv("CLIENT_ID") .. "&client_secret=" .. os.getenv("CLIENT_SECRET")
local redirect = "&redirect_uri=" .. os.getenv("REDIRECT_URI")

function request()
  local body
  if mode == "code" then
    body = "grant_type=authorization_code&code=" .. take() .. redirect .. client
  else
    body = "grant_type=refresh_token&refresh_token=" .. take() .. client
  end
  return wrk.format("POST", "/oidc/token", { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  if mode == "refresh" then
    local token = string.match(body, '"refresh_token":"([^"]+)"')
    if token then give(token) end
  end
end
