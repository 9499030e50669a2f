-- includes/gated-add.lua: addBehindGate(gate, KEYS, ARGV), a gate and BullMQ's add in one script (addJobBehindGate):
-- the add runs only when the gate opens. includes/bullmq-add is BullMQ's own add script for the job (standard or
-- prioritized, as `queue.add` would run it), supplied at load time by bullmq-internals.ts.
-- gate     local function gate(KEYS, ARGV) returning its reply (a table) and whether the job may enter
-- KEYS     the gate's keys (ARGV[1] of them), then the add's
-- ARGV[1]  how many keys the gate takes; ARGV[2] how many args; then the gate's args, then the add's
-- Returns  {the gate's reply, the add's answer (the job's id, or BullMQ's negative code), or false when closed}
--- @include "includes/bullmq-add"
local function addBehindGate(gate, KEYS, ARGV)
  local gateKeys, gateArgs = tonumber(ARGV[1]), tonumber(ARGV[2])
  local reply, opened = gate({unpack(KEYS, 1, gateKeys)}, {unpack(ARGV, 3, gateArgs + 2)})
  if not opened then
    return {reply, false}
  end
  return {reply, bullAdd({unpack(KEYS, gateKeys + 1)}, {unpack(ARGV, gateArgs + 3)})}
end
