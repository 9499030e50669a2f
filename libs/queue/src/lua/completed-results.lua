-- completed-results.lua: the return values of the jobs that completed among many (a page of a batch's output file),
-- framed in one bulk string: no JSON to escape here nor to parse around them in the client, and one reply element
-- for a whole page.
-- KEYS[i]     a job's hash
-- Returns     per job, in KEYS order: '<finishedOn>:<byte length>:<returnvalue>' when it completed (timestamp and
--             finishedOn set, no failedReason; a missing returnvalue counts as empty), else '-' (queued, running,
--             failed, or gone)
local parts = {}
local n = 0
for i = 1, #KEYS do
  local values = redis.call('HMGET', KEYS[i], 'timestamp', 'finishedOn', 'failedReason', 'returnvalue')
  if values[1] and values[2] and not values[3] then
    local returned = values[4] or ''
    parts[n + 1] = values[2] .. ':' .. #returned .. ':'
    parts[n + 2] = returned
    n = n + 2
  else
    n = n + 1
    parts[n] = '-'
  end
end
return table.concat(parts)
