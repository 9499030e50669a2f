-- budget-settle-5.lua: bills a finished job's real cost once, whatever happens to the job afterwards
-- (a retry, a re-run after a worker crash, a second completion), drops its reservation, and (optionally)
-- publishes the job's reply in the same round trip: the reply is sent only once the job is billed. Runs after
-- reservation-drop-2.lua, prepended as dropReservation (see scripts.ts).
-- KEYS[1]  in-flight hash (see budget-reserve.lua)
-- KEYS[2]  in-flight expiry zset
-- KEYS[3]  spend hash of the UTC day the job finished in: total, jobs, agent:/model:/provider: breakdown
-- KEYS[4]  spend hash of the UTC month the job finished in: total and jobs (the breakdown is the sum of its days)
-- KEYS[5]  the job's billing record
-- ARGV[1]  job id
-- ARGV[2]  real cost (nano-USD, integer >= 0)
-- ARGV[3]  agent field (e.g. `agent:my-agent`, or `agent:` for requests without one)
-- ARGV[4]  model field (e.g. `model:thudm/glm-4-9b-chat`)
-- ARGV[5]  provider field (e.g. `provider:openrouter`)
-- ARGV[6]  day hash TTL (s)
-- ARGV[7]  month hash TTL (s)
-- ARGV[8]  billing record TTL (s)
-- ARGV[9]  reply channel to PUBLISH to, or '' for none
-- ARGV[10] reply message
-- Returns  {1, reserved} billed now (reserved: the reservation it replaced, 0 if none);
--          {2, 0} already billed for this job id (nothing changed; the reply is still published)
local function reply()
  if ARGV[9] ~= '' then
    redis.call('PUBLISH', ARGV[9], ARGV[10])
  end
end
if redis.call('GET', KEYS[5]) == 'settled' then
  reply()
  return {2, 0}
end
local reserved = dropReservation({KEYS[1], KEYS[2]}, {ARGV[1]})
redis.call('HINCRBY', KEYS[3], 'total', ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[3], ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[4], ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[5], ARGV[2])
-- The period's first job gives its hash a lifetime (nothing else creates these hashes).
if redis.call('HINCRBY', KEYS[3], 'jobs', 1) == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
redis.call('HINCRBY', KEYS[4], 'total', ARGV[2])
if redis.call('HINCRBY', KEYS[4], 'jobs', 1) == 1 then
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
redis.call('SET', KEYS[5], 'settled', 'EX', ARGV[8])
reply()
return {1, reserved}
