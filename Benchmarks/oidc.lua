-- wrk script for /oidc/token. MODE=code: each thread takes authorization codes from its share of
-- CODE_FILE, one per request (a code is good once). MODE=refresh: each thread owns a queue of refresh
-- tokens; a response's rotated token goes back in, so no token is presented twice.
local items = {}
local next_thread = 1
local per_thread = tonumber(os.getenv("ITEMS_PER_THREAD") or "64")
local mode = os.getenv("MODE") or "code"
local client = "&client_id=" .. os.getenv("CLIENT_ID") .. "&client_secret=" .. os.getenv("CLIENT_SECRET")
local redirect = "&redirect_uri=" .. os.getenv("REDIRECT_URI")

function setup(thread)
  thread:set("first", (next_thread - 1) * per_thread + 1)
  thread:set("count", per_thread)
  next_thread = next_thread + 1
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("ITEM_FILE")) do all[#all + 1] = line end
  for i = first, first + count - 1 do items[#items + 1] = all[i] end
end

function request()
  local item = table.remove(items, 1)
  if item == nil then error("ran out of codes or refresh tokens") end
  local body
  if mode == "code" then
    body = "grant_type=authorization_code&code=" .. item .. redirect .. client
  else
    body = "grant_type=refresh_token&refresh_token=" .. item .. client
  end
  return wrk.format("POST", "/oidc/token", { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  if mode == "refresh" then
    local token = string.match(body, '"refresh_token":"([^"]+)"')
    if token then items[#items + 1] = token end
  end
end
