-- reservation-drop-2.lua: removes a job's budget reservation from the in-flight ledger (a no-op when it has none).
-- Prepended as the local function dropReservation to budget-settle-5.lua and budget-release-3.lua (see scripts.ts).
-- KEYS[1]  in-flight hash (see budget-reserve.lua)
-- KEYS[2]  in-flight expiry zset
-- ARGV[1]  job id
-- Returns  the amount it held (nano-USD), 0 when there was none
local reserved = redis.call('HGET', KEYS[1], ARGV[1])
if reserved then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'total', '-' .. reserved)
end
redis.call('ZREM', KEYS[2], ARGV[1])
return tonumber(reserved or '0')
