-- includes/billing-clear.lua: clearReleased(KEYS, ARGV) reads a job's billing record and deletes it when it says 'released' (the job was dropped
-- before it ran: the Idempotency-Key's next request runs it, reserved anew), in one step: a concurrent admission's
-- 'reserved:<amount>' written between a read and a delete is never deleted (its reservation would count twice).
-- KEYS[1]  the job's billing record (see budget-reserve.lua)
-- Returns  the record as it was ('settled', 'released', 'reserved:<amount>'), or false when there was none
local function clearReleased(KEYS, ARGV)
  local record = redis.call('GET', KEYS[1])
  if record == 'released' then
    redis.call('DEL', KEYS[1])
  end
  return record
end
