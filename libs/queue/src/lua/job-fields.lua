-- job-fields.lua: the fields of many jobs' hashes and whether each was marked cancelled, as one JSON text (one
-- command and one bulk reply for a page of a batch, where the client's cost per command and per reply element, not
-- Redis's, bounded how fast a batch's results could be read).
-- KEYS[2i-1]  a job's hash
-- KEYS[2i]    its cancelled marker
-- ARGV        the hash fields to read
-- Returns     a JSON array, flat: per job, its ARGV fields (false when absent), then 1 when its marker exists, else 0
local width = #ARGV
local out = {}
local n = 0
for i = 1, #KEYS, 2 do
  local values = redis.call('HMGET', KEYS[i], unpack(ARGV))
  for j = 1, width do
    out[n + j] = values[j]
  end
  n = n + width + 1
  out[n] = redis.call('EXISTS', KEYS[i + 1])
end
if n == 0 then
  return '[]'
end
return cjson.encode(out)
