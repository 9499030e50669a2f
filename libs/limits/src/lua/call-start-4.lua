-- call-start-4.lua: notes that a run of a job is about to call a provider, so that the call is billed even if the
-- run never settles it (its worker is SIGKILLed, its lock lapses and the job is run again, or it is never run again).
-- The call is marked 'started' in the job's calls hash (budget-settle-14.lua marks it 'billed', budget-release-6.lua
-- 'none'), and the job's reservation is marked as spent if it lapses: its expiry score gets a half (scores are
-- whole ms otherwise), which budget-reserve.lua's lapse sweep books as spend instead of giving it back.
-- KEYS[1]  the job's billing record ('reserved:<amount>' while reserved, see budget-reserve.lua)
-- KEYS[2]  the job's calls hash: call id -> 'started' | 'billed' | 'none'
-- KEYS[3]  in-flight expiry zset of the global ledger
-- KEYS[4]  in-flight expiry zset of the key's ledger (a name nothing writes for a job without a key)
-- ARGV[1]  job id
-- ARGV[2]  this call's id
-- ARGV[3]  calls hash TTL (s; the billing record's)
-- ARGV[4]  '1' when the job was made with an API key (its ledger holds the reservation too), else ''
-- Returns  the ids of the job's earlier calls still 'started' (their runs ended without billing them): the caller
--          bills them (budget-settle-14.lua, once each)
local earlier = {}
local calls = redis.call('HGETALL', KEYS[2])
for i = 1, #calls, 2 do
  if calls[i + 1] == 'started' and calls[i] ~= ARGV[2] then
    earlier[#earlier + 1] = calls[i]
  end
end
redis.call('HSET', KEYS[2], ARGV[2], 'started')
redis.call('EXPIRE', KEYS[2], ARGV[3])
local record = redis.call('GET', KEYS[1])
local amount = record and string.match(record, '^reserved:(%d+)$')
if amount and amount ~= '0' then
  local member = amount .. ':' .. ARGV[1]
  -- One command per ledger: the half is added to a member that is there (XX); a score that already had it (a later
  -- call of the same run, or a run again) comes out whole and gets it back, so a mark is never undone.
  local ledgers = ARGV[4] == '1' and {KEYS[3], KEYS[4]} or {KEYS[3]}
  for _, expiry in ipairs(ledgers) do
    local score = redis.call('ZADD', expiry, 'XX', 'INCR', '0.5', member)
    if score and math.floor(tonumber(score)) == tonumber(score) then
      redis.call('ZADD', expiry, 'XX', 'INCR', '-0.5', member)
    end
  end
end
return earlier
