-- admit-gate.lua: a request's admission (includes/admit) as the gate of its job's add in the same script
-- (addJobBehindGate in libs/queue, includes/gated-add): the job enters when the bucket allowed the request and the
-- budgets took its reservation.
-- KEYS     ARGV[1] keys of includes/admit's, then BullMQ's add's (any number of keys)
-- ARGV[1]  how many keys the gate takes, ARGV[2] how many args; then includes/admit's args, then the add's
-- Returns  {includes/admit's reply, the add's answer or false when the gate stayed closed}
--- @include "includes/admit"
--- @include "includes/gated-add"
local function gate(KEYS, ARGV)
  local reply = admit(KEYS, ARGV)
  return reply, reply[1] >= 0 and reply[4] > 0
end
return addBehindGate(gate, KEYS, ARGV)
