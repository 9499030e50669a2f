-- budget-reserve-5.lua: admits a job against the daily and monthly budgets by reserving its estimated
-- cost, atomically, so concurrent admissions cannot all see the same room. Amounts are integer nano-USD.
-- KEYS[1]  in-flight hash: field `total` (sum of reservations) and one field per job id (its amount)
-- KEYS[2]  in-flight expiry zset: job id -> ms when its reservation lapses (never settled nor released)
-- KEYS[3]  spend hash of the current UTC day (field `total`, ...)
-- KEYS[4]  spend hash of the current UTC month
-- KEYS[5]  the job's billing record (string 'settled' or 'released')
-- ARGV[1]  job id
-- ARGV[2]  amount to reserve (nano-USD, integer >= 0)
-- ARGV[3]  daily limit (nano-USD)
-- ARGV[4]  monthly limit (nano-USD)
-- ARGV[5]  reservation lifetime (ms)
-- Returns  {code, day_spent, month_spent, in_flight}:
--          code 1 reserved; 2 already reserved or billed for this job id (nothing changed);
--          -3 DAILY_EXCEEDED; -4 MONTHLY_EXCEEDED (nothing reserved)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Reservations whose job never settled (an API that died between reserve and enqueue) lapse.
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  local amount = redis.call('HGET', KEYS[1], id)
  if amount then
    redis.call('HDEL', KEYS[1], id)
    redis.call('HINCRBY', KEYS[1], 'total', '-' .. amount)
  end
  redis.call('ZREM', KEYS[2], id)
end

local day = tonumber(redis.call('HGET', KEYS[3], 'total') or '0')
local month = tonumber(redis.call('HGET', KEYS[4], 'total') or '0')
local inflight = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')

if redis.call('EXISTS', KEYS[5]) == 1 or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return {2, day, month, inflight}
end

local amount = tonumber(ARGV[2])
local dayLimit = tonumber(ARGV[3])
local monthLimit = tonumber(ARGV[4])
-- A budget that has been reached refuses even free requests; otherwise the estimate must fit.
if day + inflight >= dayLimit or day + inflight + amount > dayLimit then
  return {-3, day, month, inflight}
end
if month + inflight >= monthLimit or month + inflight + amount > monthLimit then
  return {-4, day, month, inflight}
end
if amount > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'total', ARGV[2])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[1])
end
return {1, day, month, inflight + amount}
