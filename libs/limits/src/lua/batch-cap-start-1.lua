-- batch-cap-start-1.lua: lets a request of a batch with max_cost_usd start while the batch's spend is below its
-- cap, and reserves its estimate in the batch's counter, in one step (workers cannot both take the last room).
-- KEYS[1]  the batch's spend hash: spent, inflight (nano-USD), cap, job:<jobId> = reserved nano-USD or 'done'
-- ARGV[1]  job id
-- ARGV[2]  the cap (nano-USD)
-- ARGV[3]  the job's reservation (nano-USD, its admission estimate)
-- ARGV[4]  the hash's lifetime (seconds), set when it is created
-- Returns  {Done, spent, inflight}            started (inflight includes this job)
--          {AlreadyDone, spent, inflight}     started before (a re-run after a stall or hand-back): runs again, nothing reserved
--          {BatchCapReached, spent, inflight} the cap is reached: the job must not run
--- @include "includes/codes"
local field = 'job:' .. ARGV[1]
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local inflight = tonumber(redis.call('HGET', KEYS[1], 'inflight') or '0')
if redis.call('HEXISTS', KEYS[1], field) == 1 then
  return {Code.AlreadyDone, spent, inflight}
end
if spent + inflight >= tonumber(ARGV[2]) then
  return {Code.BatchCapReached, spent, inflight}
end
local fresh = redis.call('EXISTS', KEYS[1]) == 0
redis.call('HSET', KEYS[1], field, ARGV[3], 'cap', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'inflight', ARGV[3])
if fresh or redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
return {Code.Done, spent, inflight + tonumber(ARGV[3])}
