-- includes/token-bucket.lua: tokenBucket(KEYS, ARGV) takes tokens from a continuously refilled token bucket, atomically.
-- KEYS[1]  the bucket: a string `<tokens>:<at>` (at = ms of the last update), one GET and one SET PX a request
-- ARGV[1]  refill rate, tokens per second (> 0)
-- ARGV[2]  capacity (the burst)
-- ARGV[3]  tokens this request takes
-- ARGV[4]  now in ms, or '' for the Redis server's TIME (one clock for every instance)
-- ARGV[5]  '1': a cost above the capacity is allowed from a full bucket, which it leaves in debt (negative
--          tokens, refilled at the same rate), so a batch of N takes N tokens however large. Absent: refused (CostExceedsCapacity).
-- ARGV[6]  tokens that must stay in the bucket beyond this request's (a reserve it may not take); absent: 0
-- Returns  {Done, tokens_left, 0, now}            allowed (tokens_left < 0: in debt)
--          {RateLimited, tokens_left, retry_after_ms, now}: ms until enough tokens are back
--          {CostExceedsCapacity, tokens_left, 0, now}: can never be allowed
--          now: the server's ms when read from TIME, -1 when ARGV[4] gave the clock (a script that runs this one
--          as a function reuses it instead of asking TIME again)
--- @include "includes/codes"
local function tokenBucket(KEYS, ARGV)
  local rate = tonumber(ARGV[1])
  local capacity = tonumber(ARGV[2])
  local cost = tonumber(ARGV[3])
  local debt = ARGV[5] == '1'
  local reserve = tonumber(ARGV[6] or '0') or 0
  local now
  local serverNow = -1
  if ARGV[4] == '' then
    local time = redis.call('TIME')
    now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    serverNow = now
  else
    now = tonumber(ARGV[4])
  end

  local tokens, at
  -- pcall: a key of another type (none is written: the hash buckets of versions before the string layout lived only
  -- until refilled, long gone) reads as a full bucket instead of failing admission; the SET below replaces it.
  local state = redis.pcall('GET', KEYS[1])
  if type(state) == 'string' then
    local colon = string.find(state, ':', 1, true)
    if colon then
      tokens = tonumber(string.sub(state, 1, colon - 1))
      at = tonumber(string.sub(state, colon + 1))
    end
  end
  if tokens == nil or at == nil then
    tokens = capacity
    at = now
  end
  -- A clock that went backwards refills nothing (and never drains).
  if now > at then
    tokens = math.min(capacity, tokens + (now - at) * rate / 1000)
    at = now
  end
  if cost + reserve > capacity and not debt then
    return {Code.CostExceedsCapacity, math.floor(tokens), 0, serverNow}
  end
  -- What must be in the bucket: the cost and the reserve, or (debt allowed) the whole capacity for more than it.
  local needed = math.min(cost + reserve, capacity)
  local allowed = tokens >= needed
  if allowed then
    tokens = tokens - cost
  end
  -- Kept until it would be full again (longer for a bucket in debt); a missing bucket is a full one.
  local ttl = math.ceil((capacity - tokens) / rate * 1000) + 1000
  redis.call('SET', KEYS[1], tostring(tokens) .. ':' .. tostring(at), 'PX', ttl)
  if allowed then
    return {Code.Done, math.floor(tokens), 0, serverNow}
  end
  return {Code.RateLimited, math.floor(tokens), math.ceil((needed - tokens) * 1000 / rate), serverNow}
end
