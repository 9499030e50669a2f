-- response-cache-usage-2.lua: what one response-cache scope holds now: its expired entries leave the book first.
-- KEYS[1]  the scope's index (see includes/cache-entries.lua)
-- KEYS[2]  the scope's sizes
-- ARGV[1]  the scope's entry name prefix
-- ARGV[2]  expired entries dropped at most by this call
-- Returns  {Done, entries, bytes, dropped}  `dropped`: expired entries this call took out (as many as ARGV[2]: maybe more left)
--- @include "includes/codes"
--- @include "includes/cache-entries"
local dropped = trimExpired(KEYS[1], KEYS[2], ARGV[1], nowMs(), tonumber(ARGV[2]))
return {Code.Done, redis.call('ZCARD', KEYS[1]), tonumber(redis.call('HGET', KEYS[2], 'total') or '0'), dropped}
