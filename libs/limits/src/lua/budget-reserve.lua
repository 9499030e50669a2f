-- budget-reserve.lua: admits one job, or all the jobs of a batch, against the daily and monthly budgets by
-- reserving their estimated costs, atomically, so concurrent admissions cannot all see the same room. All or
-- none: every job is checked before anything is written. Amounts are integer nano-USD.
-- KEYS[1]      in-flight hash: field `total` (sum of reservations) and one field per job id (its amount)
-- KEYS[2]      in-flight expiry zset: job id -> ms when its reservation lapses (never settled nor released)
-- KEYS[3]      spend hash of the current UTC day (field `total`, ...)
-- KEYS[4]      spend hash of the current UTC month
-- KEYS[4 + i]  job i's billing record (string 'settled' or 'released')
-- ARGV[1]      daily limit (nano-USD)
-- ARGV[2]      monthly limit (nano-USD)
-- ARGV[3]      reservation lifetime (ms)
-- ARGV[2 + 2i] job i's id;  ARGV[3 + 2i] the amount to reserve for it (integer >= 0)
-- Returns      {code, day_spent, month_spent, in_flight, i}:
--              code 1 reserved (i = 0); 2 every job already reserved or billed (nothing changed, i = 0);
--              -3 DAILY_EXCEEDED / -4 MONTHLY_EXCEEDED at job i (in_flight counts the jobs before it): nothing reserved
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
local dayLimit = tonumber(ARGV[1])
local monthLimit = tonumber(ARGV[2])

local taken = {}
local added = 0
local fresh = 0
for i = 1, #KEYS - 4 do
  local id = ARGV[2 + 2 * i]
  if redis.call('EXISTS', KEYS[4 + i]) == 0 and redis.call('HEXISTS', KEYS[1], id) == 0 then
    fresh = fresh + 1
    local amount = tonumber(ARGV[3 + 2 * i])
    local held = inflight + added
    -- A budget that has been reached refuses even free requests; otherwise the estimate must fit.
    if day + held >= dayLimit or day + held + amount > dayLimit then
      return {-3, day, month, held, i}
    end
    if month + held >= monthLimit or month + held + amount > monthLimit then
      return {-4, day, month, held, i}
    end
    if amount > 0 then
      taken[#taken + 1] = i
      added = added + amount
    end
  end
end
if fresh == 0 then
  return {2, day, month, inflight, 0}
end

local expiry = now + tonumber(ARGV[3])
for _, i in ipairs(taken) do
  redis.call('HSET', KEYS[1], ARGV[2 + 2 * i], ARGV[3 + 2 * i])
  redis.call('ZADD', KEYS[2], expiry, ARGV[2 + 2 * i])
end
if added > 0 then
  redis.call('HINCRBY', KEYS[1], 'total', added)
end
return {1, day, month, inflight + added, 0}
