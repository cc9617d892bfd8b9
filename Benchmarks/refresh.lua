-- wrk script: POST /api/auth/refresh with real rotation. Each thread owns a queue of refresh tokens
-- (one per session, more than its connections); a request takes one, its response's Set-Cookie puts
-- the rotated token back, so no token is ever presented twice.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "token_queue.lua")

function request()
  return wrk.format("POST", "/api/auth/refresh", { ["Cookie"] = "refreshToken=" .. take() })
end

function response(status, headers, body)
  local cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if cookie then
    local token = string.match(cookie, "refreshToken=([^;]+)")
    if token then give(token) end
  end
end
