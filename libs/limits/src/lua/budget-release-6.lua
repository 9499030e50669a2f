-- budget-release-6.lua: gives back the reservation of a job that failed or was cancelled before a provider could
-- bill it (no call made, or an upstream that answered with an error), in the global ledger and (a job made with an
-- API key) in the key's (includes/reservation-drop).
-- A job already billed stays billed; a later settle of a released job still bills its real cost.
-- KEYS[1]  in-flight hash (see budget-reserve.lua)
-- KEYS[2]  in-flight expiry zset
-- KEYS[3]  the job's billing record ('reserved:<amount>' while reserved, see budget-reserve.lua)
-- KEYS[4]  the key's in-flight hash, KEYS[5] its expiry zset (dummies for a job without a key: nothing there)
-- ARGV[1]  job id
-- ARGV[2]  billing record TTL (s)
-- KEYS[6]  the job's calls hash (call-start-4.lua)
-- ARGV[3]  the API key's id, or '' (KEYS[4..5] are then not read)
-- ARGV[4]  the id of the call that cost nothing (marked 'none' unless billed, so no takeover bills it), or ''
-- Returns  {Done, released_amount} released (0 when there was no reservation);
--          {AlreadyDone, 0} already billed (nothing changed)
--- @include "includes/codes"
--- @include "includes/reservation-drop"
if ARGV[4] ~= '' and redis.call('HGET', KEYS[6], ARGV[4]) == 'started' then
  redis.call('HSET', KEYS[6], ARGV[4], 'none')
end
-- Marks the job released and reads what its record said, in one command; a billed job gets its record back.
local before = redis.call('SET', KEYS[3], 'released', 'EX', ARGV[2], 'GET')
if before == 'settled' then
  redis.call('SET', KEYS[3], 'settled', 'EX', ARGV[2])
  return {Code.AlreadyDone, 0}
end
local reserved = dropReservation({KEYS[1], KEYS[2]}, {ARGV[1], before})
if ARGV[3] ~= '' then
  dropReservation({KEYS[4], KEYS[5]}, {ARGV[1], before})
end
return {Code.Done, reserved}
