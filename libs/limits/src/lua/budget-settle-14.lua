-- budget-settle-14.lua: bills a provider call's cost once, whatever happens to the job afterwards (a retry, a
-- re-run after a worker crash, a second completion), to the global ledger and (a job made with an API key) to the
-- key's, drops the job's reservations, and (optionally) publishes the job's reply in the same round trip:
-- the reply is sent only once the job is billed.
-- KEYS[1]  in-flight hash (see budget-reserve.lua)
-- KEYS[2]  in-flight expiry zset
-- KEYS[3]  spend hash of the UTC day the job finished in: total at once; jobs, the agent:/model:/provider:/key:
--          breakdown and tokens through the usage list (KEYS[11])
-- KEYS[4]  spend hash of the UTC month the job finished in: total (its jobs and breakdown are the sums of its days)
-- KEYS[5]  the job's billing record ('reserved:<amount>' while reserved, see budget-reserve.lua)
-- KEYS[6..9] the key's in-flight hash, expiry zset, day and month spend hashes (unused when ARGV[9] is '')
-- KEYS[10] observed cost hash: model -> what a recent call of it cost (budget-reserve.lua reserves at least that)
-- KEYS[11] the usage list: this call's breakdown is appended to it (includes/usage-fold)
-- KEYS[12] the job's calls hash (call-start-4.lua): call id -> 'started', 'billed' or 'none'
-- KEYS[13] the request log (a stream), appended to when ARGV[14] is not ''
-- KEYS[14] the job's kept outcome (a string, see libs/queue kept-outcomes.ts), written when ARGV[17] is not '';
--          standalone Redis only (it is in the queue's slot on a cluster: there the caller writes it itself and
--          passes any key of this script's slot, unused)
-- ARGV[1]  job id
-- ARGV[2]  real cost (nano-USD, integer >= 0)
-- ARGV[3]  the call's usage entry (includes/usage-fold's format: the day hashes above, fields and tokens)
-- ARGV[4]  day hash TTL (s)
-- ARGV[5]  month hash TTL (s)
-- ARGV[6]  billing record TTL (s)
-- ARGV[7]  reply channel to PUBLISH to, or '' for none
-- ARGV[8]  reply message
-- ARGV[9]  the API key's id, or ''
-- ARGV[10] the model the request asked for, to learn its cost from ('' for a free call: nothing learned)
-- ARGV[11] observed cost hash TTL (s)
-- ARGV[12] entries in the usage list at which this settlement folds it
-- ARGV[13] the call's id (each run of a job that reaches a provider is one call, see call-start-4.lua), or '': then
--          the job is billed once whatever its calls
-- ARGV[14] the request's entry in the request log (JSON), or '': none (the log is off)
-- ARGV[15] entries the request log keeps at most
-- ARGV[16] the oldest stream id the request log keeps (trimmed by age when the usage list folds)
-- ARGV[17] the job's outcome to keep (JSON), or '': none
-- ARGV[18] how long it is kept (s)
-- Returns  {Done, reserved} billed now (reserved: the reservation it replaced, 0 if none);
--          {AlreadyDone, 0} already billed for this call (or this job id, without a call id): nothing changed, the reply is
--          still published
--- @include "includes/codes"
--- @include "includes/reservation-drop"
--- @include "includes/usage-fold"
-- The job's kept outcome rides on its settlement (no command of its own), whatever the billing finds: written
-- before the reply, so that whoever hears of the job finds it kept.
if ARGV[17] ~= '' then
  redis.call('SET', KEYS[14], ARGV[17], 'EX', ARGV[18])
end
local function reply()
  if ARGV[7] ~= '' then
    redis.call('PUBLISH', ARGV[7], ARGV[8])
  end
end
-- Marks the job billed and reads what it was before, in one command (the script is atomic: booking follows).
-- What it was before holds the reservation's amount, to drop from each ledger that still holds it.
-- With a call id, a job run again (its lock lapsed, its worker died) bills each of its provider calls once: a
-- settled record then only means the reservation is gone.
local call = ARGV[13]
if call ~= '' then
  if redis.call('HGET', KEYS[12], call) == 'billed' then
    reply()
    return {Code.AlreadyDone, 0}
  end
  -- The hash got its lifetime when the call started (call-start-4.lua); a call it did not note makes it here.
  if redis.call('HSET', KEYS[12], call, 'billed') == 1 then
    redis.call('EXPIRE', KEYS[12], ARGV[6])
  end
end
local before = redis.call('SET', KEYS[5], 'settled', 'EX', ARGV[6], 'GET')
if before == 'settled' and call == '' then
  reply()
  return {Code.AlreadyDone, 0}
end
local reserved = dropReservation({KEYS[1], KEYS[2]}, {ARGV[1], before})
-- What budgets check, at once: a period's total. A period's hash gets its lifetime from its first booking (a total
-- still at 0, i.e. only free calls so far, renews it: harmless). Its count of jobs comes through the usage list.
local function book(day, month)
  if redis.call('HINCRBY', day, 'total', ARGV[2]) == tonumber(ARGV[2]) then
    redis.call('EXPIRE', day, ARGV[4])
  end
  if redis.call('HINCRBY', month, 'total', ARGV[2]) == tonumber(ARGV[2]) then
    redis.call('EXPIRE', month, ARGV[5])
  end
end
if ARGV[9] ~= '' then
  dropReservation({KEYS[6], KEYS[7]}, {ARGV[1], before})
  book(KEYS[8], KEYS[9])
end
book(KEYS[3], KEYS[4])
-- The breakdown (free calls too: an agent, model or provider that only made free calls still shows, at 0).
local folds = redis.call('RPUSH', KEYS[11], ARGV[3]) >= tonumber(ARGV[12])
if folds then
  foldUsage({KEYS[11]}, {ARGV[4]})
end
-- The request's log entry rides on its settlement: no round trip of its own, once per billed call.
if ARGV[14] ~= '' then
  redis.call('XADD', KEYS[13], 'MAXLEN', ARGV[15], '*', 'e', ARGV[14])
  if folds then
    redis.call('XTRIM', KEYS[13], 'MINID', '~', ARGV[16])
  end
end
-- A decaying maximum: a dearer call raises it at once, cheaper ones bring it down by 10 % a call; a free call
-- (another provider served it, e.g. a local fallback) teaches nothing.
if ARGV[10] ~= '' and tonumber(ARGV[2]) > 0 then
  local cost = tonumber(ARGV[2])
  local previous = tonumber(redis.call('HGET', KEYS[10], ARGV[10]) or '0')
  local decayed = math.floor(previous * 0.9)
  -- The hash lives ARGV[11] seconds from when it was made (then each model is learned again, from one call).
  if redis.call('HSET', KEYS[10], ARGV[10], cost > decayed and cost or decayed) == 1 and redis.call('TTL', KEYS[10]) < 0 then
    redis.call('EXPIRE', KEYS[10], ARGV[11])
  end
end
reply()
return {Code.Done, reserved}
