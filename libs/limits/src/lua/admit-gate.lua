-- admit-gate.lua: admit-12.lua as the gate of a job added in the same script (addJobBehindGate in libs/queue):
-- the job enters when the bucket allowed the request and the budgets took its reservation. Runs after
-- admit-12.lua, prepended as the local function admit (with rate-2.lua, token-bucket-1.lua and budget-reserve.lua).
local function gate(KEYS, ARGV)
  local reply = admit(KEYS, ARGV)
  return reply, reply[1] >= 0 and reply[4] > 0
end
