-- promote-lane-jobs-7.lua: moves the first jobs of a range of priorities (fair-share order) to the wait list
-- (priority 0), each exactly as `job.changePriority` would (BullMQ's own changePriority script, includes/bullmq-
-- change-priority, supplied at load time by bullmq-internals.ts), with the queue's marker, pause and rate-limit
-- rules. One atomic script.
-- KEYS[1..7]  changePriority's: wait, paused, meta, prioritized, active, pc, marker
-- ARGV[1]     lowest score of the range (priority * 2^32), ARGV[2] the score it stays below
-- ARGV[3]     how many jobs to move at most
-- ARGV[4]     the prefix of the queue's job keys (a job's hash is it plus its id)
-- Returns     how many jobs moved
--- @include "includes/bullmq-change-priority"
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], ARGV[1], '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do changePriority(KEYS, {'0', ARGV[4], id, '0'}) end
return #ids
