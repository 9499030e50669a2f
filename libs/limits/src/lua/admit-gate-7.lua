-- admit-gate-7.lua: admit-6.lua for a job added in the same transaction (addJobBehindGate in libs/queue): when the
-- request is admitted (the bucket allowed it and the budgets took its reservation), opens the gate of its job so
-- the add that follows takes place. Runs after admit-6.lua (prepended as the local function admit, with
-- token-bucket-1.lua and budget-reserve.lua) and openGate (gated-add.ts).
-- KEYS[1..6]   admit-6.lua KEYS[1..6]
-- KEYS[7]      the job's key, held by the gate's placeholder
-- ARGV         admit-6.lua ARGV
-- Returns      admit-6.lua's reply
local reply = admit({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}, ARGV)
if reply[1] >= 0 and reply[4] > 0 then
  openGate(KEYS[7])
end
return reply
