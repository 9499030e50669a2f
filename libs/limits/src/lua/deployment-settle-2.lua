-- deployment-settle-2.lua: a call to a deployment ended: its lease goes, its tokens become the real count.
-- KEYS[1]  the deployment's window (see deployment-take-2)
-- KEYS[2]  the deployment's calls in flight
-- ARGV[1]  the call's lease id
-- ARGV[2]  the slice the call was counted in
-- ARGV[3]  real tokens less the estimate counted (negative gives back)
-- Returns  {Done, tokens of that slice now}
--- @include "includes/codes"
redis.call('ZREM', KEYS[2], ARGV[1])
local field = 't:' .. ARGV[2]
local delta = tonumber(ARGV[3])
if delta == 0 or redis.call('HEXISTS', KEYS[1], field) == 0 then
  return {Code.Done, 0}
end
local left = redis.call('HINCRBY', KEYS[1], field, delta)
if left < 0 then
  redis.call('HSET', KEYS[1], field, 0)
  left = 0
end
return {Code.Done, left}
