-- admit-12.lua: a request's admission in one round trip: its rate limit (rate-2.lua: the API key's bucket, else the
-- agent's and its caller's above), then (only when that allows it) the budget reservation against the global and
-- the key's budgets. Runs after rate-2.lua and budget-reserve.lua, which are prepended as the local functions
-- rate (with token-bucket-1.lua as tokenBucket) and budgetReserve (see scripts.ts).
-- KEYS[1..2]   rate-2.lua KEYS[1..2] (in the {spend} slot, for Redis Cluster)
-- KEYS[3..12]  budget-reserve.lua KEYS[1..10] (one job)
-- ARGV[1..8]   rate-2.lua ARGV[1..8]
-- ARGV[9..18]  budget-reserve.lua ARGV[1..10]
-- Returns      the rate limit's 3 values, then the reservation's 6 values ({0, 0, 0, 0, 0, 0} when it refused)
local rate = rate({KEYS[1], KEYS[2]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]})
if rate[1] < 0 then
  return {rate[1], rate[2], rate[3], 0, 0, 0, 0, 0, 0}
end
-- The bucket's reading of the server clock serves the reservation too (one TIME).
local now = nil
if rate[4] >= 0 then
  now = rate[4]
end
local budget = budgetReserve({KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12]}, {ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15], ARGV[16], ARGV[17], ARGV[18]}, now)
return {rate[1], rate[2], rate[3], budget[1], budget[2], budget[3], budget[4], budget[5], budget[6]}
