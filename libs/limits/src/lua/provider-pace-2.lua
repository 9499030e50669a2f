-- provider-pace-2.lua: may a worker call this provider now? Shared by every worker.
-- KEYS[1]  the provider's request bucket: a hash {tokens, at}
-- KEYS[2]  the provider's pause marker (a string with a TTL, set after an upstream 429)
-- ARGV[1]  refill rate, requests per second (0: no request limit, only pauses apply)
-- ARGV[2]  capacity (burst)
-- ARGV[3]  now in ms, or '' for the Redis server's TIME
-- Returns  {1, 0}            go (one request taken from the bucket)
--          {-1, wait_ms}     RATE_LIMITED: the bucket is empty for wait_ms
--          {-5, wait_ms}     PAUSED: the provider answered 429; paused for wait_ms more
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then
  return {-5, paused}
end
local rate = tonumber(ARGV[1])
if rate <= 0 then
  return {1, 0}
end
local capacity = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
else
  now = tonumber(ARGV[3])
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate / 1000)
  at = now
end
local ttl = math.ceil(capacity / rate * 1000) + 1000
local result
if tokens >= 1 then
  tokens = tokens - 1
  result = {1, 0}
else
  result = {-1, math.ceil((1 - tokens) * 1000 / rate)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], ttl)
return result
