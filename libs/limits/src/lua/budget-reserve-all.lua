-- budget-reserve-all.lua: reserves the estimates of several jobs (a batch) at once: all of them, or none.
-- Runs after budget-reserve-5.lua, prepended as the local function budgetReserve (see scripts.ts): each job is
-- admitted exactly as a single one would be.
-- KEYS[1..4]   budget-reserve-5.lua KEYS[1..4] (in-flight hash, expiry zset, day and month spend)
-- KEYS[4 + i]  the billing record of job i
-- ARGV[1]      daily limit (nano-USD)
-- ARGV[2]      monthly limit (nano-USD)
-- ARGV[3]      reservation lifetime (ms)
-- ARGV[2 + 2i] job i's id;  ARGV[3 + 2i] its amount (nano-USD)
-- Returns      {1, 0, 0, 0, 0} every job reserved (or already reserved);
--              {code, day_spent, month_spent, in_flight, i} job i refused (-3 daily, -4 monthly): nothing reserved
local reserved = {}
for i = 1, #KEYS - 4 do
  local id = ARGV[2 + 2 * i]
  local amount = ARGV[3 + 2 * i]
  local outcome = budgetReserve({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[4 + i]}, {id, amount, ARGV[1], ARGV[2], ARGV[3]})
  if outcome[1] < 0 then
    -- All or none: give back what this call reserved (no one saw it: the script is atomic).
    for _, job in ipairs(reserved) do
      redis.call('HDEL', KEYS[1], job[1])
      redis.call('HINCRBY', KEYS[1], 'total', '-' .. job[2])
      redis.call('ZREM', KEYS[2], job[1])
    end
    return {outcome[1], outcome[2], outcome[3], outcome[4], i}
  end
  if outcome[1] == 1 and tonumber(amount) > 0 then
    reserved[#reserved + 1] = {id, amount}
  end
end
return {1, 0, 0, 0, 0}
