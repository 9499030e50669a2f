-- response-cache-release-1.lua: clears a request's in-flight mark when the job holding it ended without an answer
-- (failed, cancelled, refused before it was queued), so an identical request waiting for it calls the upstream itself
-- at once; a mark another job holds now is left alone.
-- KEYS[1]  the in-flight mark (string: the holding job's id)
-- ARGV[1]  the job's id
-- Returns  {Done}         cleared
--          {AlreadyDone}  not this job's mark (or none)
--- @include "includes/codes"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {Code.Done}
end
return {Code.AlreadyDone}
