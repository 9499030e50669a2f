-- includes/budget-reserve.lua: budgetReserve(KEYS, ARGV, NOW) admits one job, or all the jobs of a batch, against the global daily and monthly budgets
-- and, for a request made with an API key, that key's own budgets, by reserving their estimated costs,
-- atomically, so concurrent admissions (on any number of API instances) cannot all see the same room. All or
-- none: every job is checked against every budget before anything is written. Amounts are integer nano-USD.
-- A job's reservation is its estimate, or what a settled call of its model really cost (the provider's own figure,
-- kept by budget-settle-14.lua) when that is more: once a model has been seen, prices that are wrong or missing
-- from the table cannot let concurrent requests pass a budget by more than about one call's cost.
-- A reservation is written once per job (its billing record, `reserved:<amount>`) and, in each ledger, as a member
-- `<amount>:<job id>` of its expiry zset and in the hash's `total`: settle and release read the amount from the
-- record, a lapse from the member (no other key to read), and a ledger drops it only while its member is there.
-- KEYS[1]      in-flight hash: field `total` (sum of reservations); fields per job id only from before records held
--              amounts (reservation-drop-2.lua and the lapse below still drop those)
-- KEYS[2]      in-flight expiry zset: `<amount>:<job id>` -> ms when the reservation lapses (never settled nor released)
-- KEYS[3]      spend hash of the current UTC day (field `total`, ...)
-- KEYS[4]      spend hash of the current UTC month
-- KEYS[5..8]   the same four for the API key (its own ledger; unused when ARGV[4] is '')
-- KEYS[9]      observed cost hash: model -> what a recent settled call of it cost (decaying maximum)
-- KEYS[9 + i]  job i's billing record: 'reserved:<amount>' (written here, free jobs too), 'settled' or 'released'
-- ARGV[1]      daily limit (nano-USD)
-- ARGV[2]      monthly limit (nano-USD)
-- ARGV[3]      reservation lifetime (ms)
-- ARGV[4]      the API key's id, or '' for a request without one
-- ARGV[5]      the key's daily limit (nano-USD), -1 for none
-- ARGV[6]      the key's monthly limit (nano-USD), -1 for none
-- ARGV[7]      billing record TTL (s; at least the reservation lifetime)
-- ARGV[5 + 3i] job i's id;  ARGV[6 + 3i] its estimate (integer >= 0);  ARGV[7 + 3i] its model ('' for a free one)
-- Returns      {code, day_spent, month_spent, in_flight, i, amount}:
--              code Done: reserved (i = 0); AlreadyDone: every job already reserved (held by the global ledger) or billed or
--              released (nothing changed, i = 0); a free job, or one whose reservation lapsed, is reserved again;
--              amount: what job i (the first job when reserved) was to reserve, the learned cost included;
--              DailyExceeded / MonthlyExceeded at job i (in_flight counts the jobs before it);
--              KeyDailyExceeded / KeyMonthlyExceeded, the same with the key's figures: nothing reserved
-- NOW          the server's ms when the caller has read TIME already (includes/admit), nil to read it here
--- @include "includes/codes"
local function budgetReserve(KEYS, ARGV, NOW)
  local now = NOW
  if now == nil then
    local time = redis.call('TIME')
    now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  end
  local keyed = ARGV[4] ~= ''
  -- An amount as Redis and the records spell it (tostring would write 1e+15).
  local function int(n)
    return string.format('%d', n)
  end

  -- Reservations whose job never settled (an API that died between reserve and enqueue) lapse: their members go in
  -- one ZREM and their amounts (read from the members) in one HINCRBY. The job's record is left as it is: the other
  -- ledger may still hold the reservation, and a later settle or release finds no member here and takes nothing twice.
  -- A reservation whose job had called a provider (call-start-4.lua gave its score a half: the worker died, or the job
  -- was given up as stalled, before the call was billed) is booked as spent, not given back: the provider bills it.
  -- Booked to the totals only (what budgets check): the call's breakdown is unknown.
  local function spend(hash, amount, ttl)
    if redis.call('HINCRBY', hash, 'total', int(amount)) == amount then
      redis.call('EXPIRE', hash, ttl)
    end
  end

  local function lapse(first)
    local inflightKey, expiryKey = KEYS[first], KEYS[first + 1]
    local expired = redis.call('ZRANGEBYSCORE', expiryKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
    if #expired == 0 then
      return
    end
    local members = {}
    local lapsed = 0
    local spent = 0
    for i = 1, #expired, 2 do
      local member = expired[i]
      members[#members + 1] = member
      local amount = string.match(member, '^(%d+):')
      if amount then
        lapsed = lapsed + tonumber(amount)
        local score = tonumber(expired[i + 1])
        if math.floor(score) ~= score then
          spent = spent + tonumber(amount)
        end
      else
        -- From before records held amounts: the member is the bare job id, its amount the hash's field.
        local old = redis.call('HGET', inflightKey, member)
        if old then
          redis.call('HDEL', inflightKey, member)
          lapsed = lapsed + tonumber(old)
        end
      end
    end
    redis.call('ZREM', expiryKey, unpack(members))
    if lapsed > 0 then
      redis.call('HINCRBY', inflightKey, 'total', int(-lapsed))
    end
    if spent > 0 then
      -- The spend hashes' lifetimes: DAY_SPEND_TTL_SECONDS and MONTH_SPEND_TTL_SECONDS (periods.ts).
      spend(KEYS[first + 2], spent, 3456000)
      spend(KEYS[first + 3], spent, 34560000)
    end
  end

  -- A ledger: what it has spent today and this month, what is held in flight, its limits (-1: none). Lapsed
  -- reservations still count as held until a sweep drops them: that only errs towards refusing, so the sweep runs
  -- when a check would refuse (then the checks run again on the swept figures), when a job's own reservation has
  -- lapsed, and on about one admission in 64 (the clock's ms), which keeps the zsets short and reports timely.
  local function ledger(first, dayLimit, monthLimit)
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

  local ledgers
  local swept = false
  local function load(sweep)
    if sweep then
      lapse(1)
      if keyed then
        lapse(5)
      end
      swept = true
    end
    ledgers = {ledger(1, ARGV[1], ARGV[2])}
    if keyed then
      ledgers[2] = ledger(5, ARGV[5], ARGV[6])
    end
  end
  load(now % 64 == 0)
  local codes = {{Code.DailyExceeded, Code.MonthlyExceeded}, {Code.KeyDailyExceeded, Code.KeyMonthlyExceeded}}

  -- The estimate, raised to what a settled call of the model cost (a free model never learns a cost).
  local learned = {}
  local function amountOf(i)
    local amount = tonumber(ARGV[6 + 3 * i])
    local model = ARGV[7 + 3 * i]
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

  -- Whether job i is to be reserved: it has no record (a new job), or one that holds nothing any more (a free job, or
  -- a reservation the global ledger let lapse). 'settled', 'released', and a reservation still held: not fresh.
  local function isFresh(i)
    local record = redis.call('GET', KEYS[9 + i])
    if not record then
      return true
    end
    local held = string.match(record, '^reserved:(%d+)$')
    if held == nil then
      return false
    end
    if held == '0' then
      return true
    end
    local member = held .. ':' .. ARGV[5 + 3 * i]
    local score = redis.call('ZSCORE', KEYS[2], member)
    if score and (swept or tonumber(score) > now) then
      return false
    end
    if score then
      -- Lapsed but not yet swept: the checks start again on swept ledgers.
      return 'lapsed'
    end
    -- Lapsed globally: the key's ledger (same lifetime) was swept with it, unless more than 100 lapsed there at once;
    -- it is dropped there now as its sweep would, so that reserving it again cannot count it twice.
    -- (A reservation marked as called is booked as spent there, as the sweep would.)
    local score = keyed and redis.call('ZSCORE', KEYS[6], member)
    if score and redis.call('ZREM', KEYS[6], member) == 1 then
      redis.call('HINCRBY', KEYS[5], 'total', '-' .. held)
      ledgers[2].inflight = ledgers[2].inflight - tonumber(held)
      if math.floor(tonumber(score)) ~= tonumber(score) then
        spend(KEYS[7], tonumber(held), 3456000)
        spend(KEYS[8], tonumber(held), 34560000)
        ledgers[2].day = ledgers[2].day + tonumber(held)
        ledgers[2].month = ledgers[2].month + tonumber(held)
      end
    end
    return true
  end

  local taken, amounts, added, fresh
  local check
  -- Every job against every ledger; nil when all pass, else the refusal.
  check = function()
    taken, amounts, added, fresh = {}, {}, 0, {}
    for i = 1, #KEYS - 9 do
      amounts[i] = amountOf(i)
      local state = isFresh(i)
      if state == 'lapsed' then
        load(true)
        return check()
      end
      if state then
        fresh[#fresh + 1] = i
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
    return nil
  end
  local refused = check()
  if refused and not swept then
    -- Reservations that lapsed may be what fills the budget: sweep them and check again.
    load(true)
    refused = check()
  end
  if refused then
    return refused
  end
  if #fresh == 0 then
    return {Code.AlreadyDone, ledgers[1].day, ledgers[1].month, ledgers[1].inflight, 0, amounts[1] or 0}
  end

  -- Every check passed: the records (a free job's too, so that its settlement reads no ledger), then the ledgers.
  for _, i in ipairs(fresh) do
    redis.call('SET', KEYS[9 + i], 'reserved:' .. int(amounts[i]), 'EX', ARGV[7])
  end
  local expiry = now + tonumber(ARGV[3])
  for _, book in ipairs(ledgers) do
    for _, i in ipairs(taken) do
      redis.call('ZADD', KEYS[book.first + 1], expiry, int(amounts[i]) .. ':' .. ARGV[5 + 3 * i])
    end
    if added > 0 then
      redis.call('HINCRBY', KEYS[book.first], 'total', int(added))
    end
  end
  return {Code.Done, ledgers[1].day, ledgers[1].month, ledgers[1].inflight + added, 0, amounts[1] or 0}
end
