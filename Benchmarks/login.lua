-- wrk script: POST /api/auth/login cycling through USERS seeded accounts (user<i>@bench.test).
local users = tonumber(os.getenv("USERS") or "1000")
local password = os.getenv("PASSWORD") or "benchmark password"
local counter = 0
local thread_offset = 0
local next_offset = 0

function setup(thread)
  thread:set("thread_offset", next_offset)
  next_offset = next_offset + 7919
end

function request()
  counter = counter + 1
  local i = (counter + thread_offset) % users
  local body = '{"email":"user' .. i .. '@bench.test","password":"' .. password .. '"}'
  return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, body)
end
