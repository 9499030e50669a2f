-- includes/admit.lua: admit(KEYS, ARGV), a request's admission: its rate limit (includes/rate: the API key's bucket,
-- else the agent's and its caller's above), then (only when that allows it) the budget reservation of its one job
-- against the global and the key's budgets (includes/budget-reserve).
-- KEYS[1..2]   includes/rate's KEYS (in the {spend} slot, for Redis Cluster)
-- KEYS[3..12]  includes/budget-reserve's KEYS for one job (further keys are the caller's and not read)
-- ARGV[1..8]   includes/rate's ARGV
-- ARGV[9..18]  includes/budget-reserve's ARGV for one job
-- Returns      the rate limit's code, tokens_left and retry_after_ms, then (only when it allowed the request) the
--              reservation's 6 values
--- @include "includes/rate"
--- @include "includes/budget-reserve"
local function admit(KEYS, ARGV)
  local rate = rate({KEYS[1], KEYS[2]}, {unpack(ARGV, 1, 8)})
  if rate[1] < 0 then
    return {rate[1], rate[2], rate[3]}
  end
  -- The bucket's reading of the server clock serves the reservation too (one TIME).
  local now = nil
  if rate[4] >= 0 then
    now = rate[4]
  end
  local budget = budgetReserve({unpack(KEYS, 3, 12)}, {unpack(ARGV, 9, 18)}, now)
  return {rate[1], rate[2], rate[3], budget[1], budget[2], budget[3], budget[4], budget[5], budget[6]}
end
