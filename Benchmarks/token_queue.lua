-- Shared by wrk scripts that spend single-use items: each thread owns its share of TOKEN_FILE
-- (TOKENS_PER_THREAD lines), takes one per request and may give one back (a rotated token).
local items = {}
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
  for i = first, first + count - 1 do items[#items + 1] = all[i] end
end

function take()
  local item = table.remove(items, 1)
  if item == nil then error("ran out of single-use tokens: a response carried no rotated one") end
  return item
end

function give(item) items[#items + 1] = item end
