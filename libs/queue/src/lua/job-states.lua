-- job-states.lua: what the views of many jobs are made of, as one JSON text: one command and one bulk reply for a
-- page of a batch, where two commands per job made the client's cost per command and per reply element, not
-- Redis's, bound how fast a batch's results could be read.
-- KEYS[2i-1]  a job's hash
-- KEYS[2i]    its cancelled marker
-- ARGV[1]     '1': with each job's return value; '0': without
-- Returns     a JSON array, flat: per job its timestamp, processedOn, finishedOn, failedReason and (ARGV[1] '1')
--             returnvalue, false when absent; then 1 when its cancelled marker exists, else 0 (not read for a job
--             that completed: the marker does not change its view)
local fields = {'timestamp', 'processedOn', 'finishedOn', 'failedReason'}
if ARGV[1] == '1' then
  fields[5] = 'returnvalue'
end
local width = #fields
local out = {}
local n = 0
for i = 1, #KEYS, 2 do
  local values = redis.call('HMGET', KEYS[i], unpack(fields))
  for j = 1, width do
    out[n + j] = values[j]
  end
  n = n + width + 1
  if values[1] and values[3] and not values[4] then
    out[n] = 0
  else
    out[n] = redis.call('EXISTS', KEYS[i + 1])
  end
end
if n == 0 then
  return '[]'
end
return cjson.encode(out)
