-- provider-pace-2.lua: may a worker call this provider now? Shared by every worker.
-- The provider's request bucket is the same bucket as an agent's (includes/token-bucket), taking one token per call.
-- KEYS[1]  the provider's request bucket (includes/token-bucket's string)
-- KEYS[2]  the provider's pause marker (a string with a TTL, set after an upstream 429)
-- ARGV[1]  refill rate, requests per second (0: no request limit, only pauses apply)
-- ARGV[2]  capacity (burst, at least 1)
-- ARGV[3]  now in ms, or '' for the Redis server's TIME
-- ARGV[4]  tokens this call must leave in the bucket (kept for interactive calls; 0 for an interactive call)
-- Returns  {Done, 0}            go (one request taken from the bucket)
--          {RateLimited, wait_ms} the bucket is empty for wait_ms
--          {Paused, wait_ms}      the provider answered 429; paused for wait_ms more
--- @include "includes/codes"
--- @include "includes/token-bucket"
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then
  return {Code.Paused, paused}
end
if tonumber(ARGV[1]) <= 0 then
  return {Code.Done, 0}
end
local reserve = tonumber(ARGV[4] or '0')
-- A call of a lower lane needs its token plus the reserve in the bucket, and takes only its own.
local taken = tokenBucket({KEYS[1]}, {ARGV[1], ARGV[2], 1, ARGV[3], '', reserve})
if taken[1] > 0 then
  return {Code.Done, 0}
end
return {Code.RateLimited, taken[3]}
