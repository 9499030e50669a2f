-- response-cache-lookup-2.lua: looks a request up in the response cache, in one step: its entry if there is one;
-- else this job marks the request in flight (identical requests wait for its answer), unless another job already
-- holds the mark. A job finding its own mark (it runs again) holds it still; `gone` takes the mark over from a job
-- known to have failed or vanished.
-- KEYS[1]  the entry (string: the answer's JSON)
-- KEYS[2]  its in-flight mark (string: the holding job's id)
-- ARGV[1]  the asking job's id
-- ARGV[2]  the mark's lifetime (ms)
-- ARGV[3]  the id of a holder known to be gone, or ''
-- Returns  {CacheHit, answer}       the entry
--          {CacheLead}              marked now (or already this job's): this job calls the upstream and fills the entry
--          {CacheInFlight, holder}  another job holds the mark
--- @include "includes/codes"
local answer = redis.call('GET', KEYS[1])
if answer then
  return {Code.CacheHit, answer}
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {Code.CacheLead}
end
local holder = redis.call('GET', KEYS[2])
if holder == ARGV[1] or (ARGV[3] ~= '' and holder == ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {Code.CacheLead}
end
return {Code.CacheInFlight, holder}
