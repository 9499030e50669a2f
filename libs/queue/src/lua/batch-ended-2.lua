-- batch-ended-2.lua: notes that requests of a batch ended, once each, and says whether that ended the batch.
-- KEYS[1]  the batch's set of ended request job ids
-- KEYS[2]  the batch's record (hash with `total`)
-- ARGV[1]  lifetime of the set, seconds (the batch's retention)
-- ARGV[2..] the job ids that ended
-- Returns  {added, ended, total}: how many were new, how many have ended in all, the batch's size (0: no record)
local added = redis.call('SADD', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
local ended = redis.call('SCARD', KEYS[1])
local total = tonumber(redis.call('HGET', KEYS[2], 'total') or '0')
return {added, ended, total}
