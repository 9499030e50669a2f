-- admit-6.lua: a request's admission in one round trip: the agent's token bucket, then (only when the bucket
-- allows it) the budget reservation. Runs after token-bucket-1.lua and budget-reserve.lua, which are prepended
-- as the local functions tokenBucket and budgetReserve (see scripts.ts).
-- KEYS[1]      the agent's bucket (token-bucket-1.lua KEYS[1]; in the {spend} slot, for Redis Cluster)
-- KEYS[2..6]   budget-reserve.lua KEYS[1..5] (one job)
-- ARGV[1..4]   token-bucket-1.lua ARGV[1..4]
-- ARGV[5..9]   budget-reserve.lua ARGV[1..5]
-- Returns      the bucket's 3 values, then the reservation's 5 values ({0, 0, 0, 0, 0} when the bucket refused)
local rate = tokenBucket({KEYS[1]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4]})
if rate[1] < 0 then
  return {rate[1], rate[2], rate[3], 0, 0, 0, 0, 0}
end
local budget = budgetReserve({KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}, {ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]})
return {rate[1], rate[2], rate[3], budget[1], budget[2], budget[3], budget[4], budget[5]}
