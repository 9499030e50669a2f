-- budget-settle-5.lua: bills a finished job's real cost once, whatever happens to the job afterwards
-- (a retry, a re-run after a worker crash, a second completion), and drops its reservation.
-- KEYS[1]  in-flight hash (see budget-reserve-5.lua)
-- KEYS[2]  in-flight expiry zset
-- KEYS[3]  spend hash of the UTC day the job finished in
-- KEYS[4]  spend hash of the UTC month the job finished in
-- KEYS[5]  the job's billing record
-- ARGV[1]  job id
-- ARGV[2]  real cost (nano-USD, integer >= 0)
-- ARGV[3]  agent field (e.g. `agent:my-agent`, or `agent:` for requests without one)
-- ARGV[4]  model field (e.g. `model:thudm/glm-4-9b-chat`)
-- ARGV[5]  provider field (e.g. `provider:openrouter`)
-- ARGV[6]  day hash TTL (s)
-- ARGV[7]  month hash TTL (s)
-- ARGV[8]  billing record TTL (s)
-- Returns  {1, reserved} billed now (reserved: the reservation it replaced, 0 if none);
--          {2, 0} already billed for this job id (nothing changed)
if redis.call('GET', KEYS[5]) == 'settled' then
  return {2, 0}
end
local reserved = redis.call('HGET', KEYS[1], ARGV[1])
if reserved then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'total', '-' .. reserved)
end
redis.call('ZREM', KEYS[2], ARGV[1])
for index, key in ipairs({KEYS[3], KEYS[4]}) do
  redis.call('HINCRBY', key, 'total', ARGV[2])
  redis.call('HINCRBY', key, ARGV[3], ARGV[2])
  redis.call('HINCRBY', key, ARGV[4], ARGV[2])
  redis.call('HINCRBY', key, ARGV[5], ARGV[2])
  redis.call('HINCRBY', key, 'jobs', 1)
  redis.call('EXPIRE', key, ARGV[5 + index])
end
redis.call('SET', KEYS[5], 'settled', 'EX', ARGV[8])
return {1, tonumber(reserved or '0')}
