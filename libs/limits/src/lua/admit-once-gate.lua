-- admit-once-gate.lua: the gate of a job made under an Idempotency-Key (its id derived from the key), added in
-- the same script (addJobBehindGate in libs/queue, includes/gated-add). Scripts run one at a time, so of concurrent
-- duplicates exactly one is admitted and added; the others find its job and take nothing (no rate token, no
-- reservation). A job dropped before it ran is cleared for a new run by includes/billing-clear.
-- KEYS     ARGV[1] gate keys: includes/admit's 12 (KEYS[12]: the job's billing record), then KEYS[13] the job's
--          BullMQ hash; then BullMQ's add's (any number of keys)
-- ARGV[1]  how many keys the gate takes, ARGV[2] how many args; then includes/admit's args, then the add's
-- Returns  {gate reply, the add's answer or false when the gate stayed closed}; gate reply: includes/admit's, or
--          {Duplicate} (the job exists: nothing done), {Spent} (the job was billed and is no longer kept: the key
--          cannot make new work)
--- @include "includes/codes"
--- @include "includes/admit"
--- @include "includes/billing-clear"
--- @include "includes/gated-add"
local function gate(KEYS, ARGV)
  if redis.call('EXISTS', KEYS[13]) == 1 then
    return {Code.Duplicate}, false
  end
  -- A job dropped before it ran gave its reservation back: its 'released' record goes (clearReleased), and the
  -- key's next request runs it, reserved anew.
  if clearReleased({KEYS[12]}, {}) == 'settled' then
    return {Code.Spent}, false
  end
  -- A record still 'reserved:<amount>' with no job (the job was removed without a release, e.g. after a crash, or
  -- its release failed) is left as it is: while the global ledger holds the reservation, the new job is added on it
  -- (includes/budget-reserve answers AlreadyDone; the job's settle or release drops it once, from each ledger still
  -- holding it), and once it has lapsed the job is reserved anew. Deleting the record instead would count the
  -- reservation twice in ledgers that still hold it.
  local reply = admit(KEYS, ARGV)
  return reply, reply[1] >= 0 and reply[4] > 0
end
return addBehindGate(gate, KEYS, ARGV)
