-- budget-reserve.lua: admits one job, or all the jobs of a batch, against the global daily and monthly budgets
-- and, for a request made with an API key, that key's own budgets, by reserving their estimated costs,
-- atomically, so concurrent admissions (on any number of API instances) cannot all see the same room. All or
-- none: every job is checked against every budget before anything is written. Amounts are integer nano-USD.
-- A job's reservation is its estimate, or what a settled call of its model really cost (the provider's own figure,
-- kept by budget-settle-11.lua) when that is more: once a model has been seen, prices that are wrong or missing
-- from the table cannot let concurrent requests pass a budget by more than about one call's cost.
-- KEYS[1]      in-flight hash: field `total` (sum of reservations) and one field per job id (its amount)
-- KEYS[2]      in-flight expiry zset: job id -> ms when its reservation lapses (never settled nor released)
-- KEYS[3]      spend hash of the current UTC day (field `total`, ...)
-- KEYS[4]      spend hash of the current UTC month
-- KEYS[5..8]   the same four for the API key (its own ledger; unused when ARGV[4] is '')
-- KEYS[9]      observed cost hash: model -> what a recent settled call of it cost (decaying maximum)
-- KEYS[9 + i]  job i's billing record (string 'settled' or 'released')
-- ARGV[1]      daily limit (nano-USD)
-- ARGV[2]      monthly limit (nano-USD)
-- ARGV[3]      reservation lifetime (ms)
-- ARGV[4]      the API key's id, or '' for a request without one
-- ARGV[5]      the key's daily limit (nano-USD), -1 for none
-- ARGV[6]      the key's monthly limit (nano-USD), -1 for none
-- ARGV[4 + 3i] job i's id;  ARGV[5 + 3i] its estimate (integer >= 0);  ARGV[6 + 3i] its model ('' for a free one)
-- Returns      {code, day_spent, month_spent, in_flight, i, amount}:
--              code 1 reserved (i = 0); 2 every job already reserved or billed (nothing changed, i = 0);
--              amount: what job i (the first job when reserved) was to reserve, the learned cost included;
--              -3 DAILY_EXCEEDED / -4 MONTHLY_EXCEEDED at job i (in_flight counts the jobs before it);
--              -6 KEY_DAILY_EXCEEDED / -7 KEY_MONTHLY_EXCEEDED, the same with the key's figures: nothing reserved
-- NOW: the server's ms when the script that runs this one as a function has read TIME already (admit-11.lua).
local now = NOW
if now == nil then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local keyed = ARGV[4] ~= ''

-- Reservations whose job never settled (an API that died between reserve and enqueue) lapse.
local function lapse(inflightKey, expiryKey)
  local expired = redis.call('ZRANGEBYSCORE', expiryKey, '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(expired) do
    local amount = redis.call('HGET', inflightKey, id)
    if amount then
      redis.call('HDEL', inflightKey, id)
      redis.call('HINCRBY', inflightKey, 'total', '-' .. amount)
    end
    redis.call('ZREM', expiryKey, id)
  end
end

-- A ledger: what it has spent today and this month, what is held in flight, its limits (-1: none).
local function ledger(first, dayLimit, monthLimit)
  lapse(KEYS[first], KEYS[first + 1])
  return {
    inflight = tonumber(redis.call('HGET', KEYS[first], 'total') or '0'),
    day = tonumber(redis.call('HGET', KEYS[first + 2], 'total') or '0'),
    month = tonumber(redis.call('HGET', KEYS[first + 3], 'total') or '0'),
    dayLimit = tonumber(dayLimit),
    monthLimit = tonumber(monthLimit),
    first = first,
  }
end

-- A budget that has been reached refuses even free requests; otherwise the estimate must fit.
local function over(spent, held, amount, limit)
  return limit >= 0 and (spent + held >= limit or spent + held + amount > limit)
end

local ledgers = {ledger(1, ARGV[1], ARGV[2])}
if keyed then
  ledgers[2] = ledger(5, ARGV[5], ARGV[6])
end
local codes = {{-3, -4}, {-6, -7}}

-- The estimate, raised to what a settled call of the model cost (a free model never learns a cost).
local learned = {}
local function amountOf(i)
  local amount = tonumber(ARGV[5 + 3 * i])
  local model = ARGV[6 + 3 * i]
  if model ~= '' then
    if learned[model] == nil then
      learned[model] = tonumber(redis.call('HGET', KEYS[9], model) or '0')
    end
    if learned[model] > amount then
      amount = learned[model]
    end
  end
  return amount
end

local taken = {}
local amounts = {}
local added = 0
local fresh = 0
for i = 1, #KEYS - 9 do
  local id = ARGV[4 + 3 * i]
  amounts[i] = amountOf(i)
  if redis.call('EXISTS', KEYS[9 + i]) == 0 and redis.call('HEXISTS', KEYS[1], id) == 0 then
    fresh = fresh + 1
    local amount = amounts[i]
    for n, book in ipairs(ledgers) do
      local held = book.inflight + added
      if over(book.day, held, amount, book.dayLimit) then
        return {codes[n][1], book.day, book.month, held, i, amount}
      end
      if over(book.month, held, amount, book.monthLimit) then
        return {codes[n][2], book.day, book.month, held, i, amount}
      end
    end
    if amount > 0 then
      taken[#taken + 1] = i
      added = added + amount
    end
  end
end
if fresh == 0 then
  return {2, ledgers[1].day, ledgers[1].month, ledgers[1].inflight, 0, amounts[1] or 0}
end

local expiry = now + tonumber(ARGV[3])
for _, book in ipairs(ledgers) do
  for _, i in ipairs(taken) do
    redis.call('HSET', KEYS[book.first], ARGV[4 + 3 * i], amounts[i])
    redis.call('ZADD', KEYS[book.first + 1], expiry, ARGV[4 + 3 * i])
  end
  if added > 0 then
    redis.call('HINCRBY', KEYS[book.first], 'total', added)
  end
end
return {1, ledgers[1].day, ledgers[1].month, ledgers[1].inflight + added, 0, amounts[1] or 0}
