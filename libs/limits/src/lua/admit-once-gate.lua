-- admit-once-gate.lua: the gate of a job made under an Idempotency-Key (its id derived from the key), added in
-- the same script (addJobBehindGate in libs/queue). Scripts run one at a time, so of concurrent duplicates exactly
-- one is admitted and added; the others find its job and take nothing (no rate token, no reservation).
-- Runs after admit-12.lua, prepended as the local function admit (with rate-2.lua, token-bucket-1.lua and budget-reserve.lua),
-- and billing-clear-1.lua, prepended as clearReleased (the rule of which records a new job may replace).
-- KEYS[1..12]  admit-12.lua's keys (KEYS[12]: the job's billing record)
-- KEYS[13]     the job's BullMQ hash
-- ARGV         admit-12.lua's
-- Returns      admit-12.lua's reply, or {-9, 0, ...} DUPLICATE (the job exists: nothing done),
--              {-10, 0, ...} SPENT (the job was billed and is no longer kept: the key cannot make new work)
local function gate(KEYS, ARGV)
  if redis.call('EXISTS', KEYS[13]) == 1 then
    return {-9, 0, 0, 0, 0, 0, 0, 0, 0}, false
  end
  -- A job dropped before it ran gave its reservation back: its 'released' record goes (clearReleased), and the
  -- key's next request runs it, reserved anew.
  if clearReleased({KEYS[12]}, {}) == 'settled' then
    return {-10, 0, 0, 0, 0, 0, 0, 0, 0}, false
  end
  -- A record still 'reserved:<amount>' with no job (the job was removed without a release, e.g. after a crash, or
  -- its release failed) is left as it is: while the global ledger holds the reservation, the new job is added on it
  -- (budget-reserve.lua answers 2, already reserved; the job's settle or release drops it once, from each ledger
  -- still holding it), and once it has lapsed the job is reserved anew. Deleting the record instead would count
  -- the reservation twice in ledgers that still hold it.
  local reply = admit(KEYS, ARGV)
  return reply, reply[1] >= 0 and reply[4] > 0
end
