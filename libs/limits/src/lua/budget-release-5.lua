-- budget-release-5.lua: gives back the reservation of a job that failed or was cancelled, in the global ledger
-- and (a job made with an API key) in the key's (after reservation-drop-2.lua, prepended as dropReservation).
-- A job already billed stays billed; a later settle of a released job still bills its real cost.
-- KEYS[1]  in-flight hash (see budget-reserve.lua)
-- KEYS[2]  in-flight expiry zset
-- KEYS[3]  the job's billing record
-- KEYS[4]  the key's in-flight hash, KEYS[5] its expiry zset (dummies for a job without a key: nothing there)
-- ARGV[1]  job id
-- ARGV[2]  billing record TTL (s)
-- Returns  {1, released_amount} released (0 when there was no reservation);
--          {2, 0} already billed (nothing changed)
if redis.call('GET', KEYS[3]) == 'settled' then
  return {2, 0}
end
local reserved = dropReservation({KEYS[1], KEYS[2]}, {ARGV[1]})
dropReservation({KEYS[4], KEYS[5]}, {ARGV[1]})
redis.call('SET', KEYS[3], 'released', 'EX', ARGV[2])
return {1, reserved}
