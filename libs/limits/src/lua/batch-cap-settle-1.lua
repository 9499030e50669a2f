-- batch-cap-settle-1.lua: books a finished request's real cost in its batch's counter (or only gives back its
-- reservation: a failed or cancelled request), once per job.
-- KEYS[1]  the batch's spend hash (see batch-cap-start-1.lua)
-- ARGV[1]  job id
-- ARGV[2]  its cost (nano-USD), or -1 to release without a cost
-- Returns  {Done} booked, {AlreadyDone} nothing to do (never started here, or booked before)
--- @include "includes/codes"
local field = 'job:' .. ARGV[1]
local reserved = redis.call('HGET', KEYS[1], field)
if not reserved or reserved == 'done' then
  return {Code.AlreadyDone}
end
if reserved ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'inflight', '-' .. reserved)
end
if ARGV[2] ~= '-1' and ARGV[2] ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
end
redis.call('HSET', KEYS[1], field, 'done')
return {Code.Done}
