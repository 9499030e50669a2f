-- token-bucket-1.lua: takes tokens from a continuously refilled token bucket, atomically.
-- KEYS[1]  the bucket: a hash {tokens, at} (at = ms of the last update)
-- ARGV[1]  refill rate, tokens per second (> 0)
-- ARGV[2]  capacity (the burst)
-- ARGV[3]  tokens this request takes
-- ARGV[4]  now in ms, or '' for the Redis server's TIME (one clock for every instance)
-- ARGV[5]  '1': a cost above the capacity is allowed from a full bucket, which it leaves in debt (negative
--          tokens, refilled at the same rate), so a batch of N takes N tokens however large. Absent: refused (-2).
-- Returns  {1, tokens_left, 0, now}               allowed (tokens_left < 0: in debt)
--          {-1, tokens_left, retry_after_ms, now} RATE_LIMITED: ms until enough tokens are back
--          {-2, tokens_left, 0, now}              COST_EXCEEDS_CAPACITY: can never be allowed
--          now: the server's ms when read from TIME, -1 when ARGV[4] gave the clock (a script that runs this one
--          as a function reuses it instead of asking TIME again)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local debt = ARGV[5] == '1'
local now
local serverNow = -1
if ARGV[4] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  serverNow = now
else
  now = tonumber(ARGV[4])
end

local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
-- A clock that went backwards refills nothing (and never drains).
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate / 1000)
  at = now
end
if cost > capacity and not debt then
  return {-2, math.floor(tokens), 0, serverNow}
end
-- What must be in the bucket: the cost, or (debt allowed) the whole capacity for a cost beyond it.
local needed = math.min(cost, capacity)
local allowed = tokens >= needed
if allowed then
  tokens = tokens - cost
end
-- Kept until it would be full again (longer for a bucket in debt); a missing bucket is a full one.
local ttl = math.ceil((capacity - tokens) / rate * 1000) + 1000
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], ttl)
if allowed then
  return {1, math.floor(tokens), 0, serverNow}
end
return {-1, math.floor(tokens), math.ceil((needed - tokens) * 1000 / rate), serverNow}
