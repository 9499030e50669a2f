-- record-save-2.lua: stores a route's record and lists it under its owner, unless the owner keeps its most already:
-- the bound's check and the write in one step, so racing writes cannot pass the bound together.
-- KEYS[1]  the record (a string: the route's JSON)
-- KEYS[2]  the owner's index (a sorted set: record id -> when it expires, in ms)
-- ARGV[1]  the record's id
-- ARGV[2]  the record's JSON
-- ARGV[3]  now, in ms
-- ARGV[4]  lifetime, in ms
-- ARGV[5]  most records the owner keeps at once (expired ones do not count)
-- Returns  how many records the owner keeps with this one (>= 1), or StoredRecordCode.Full (-1): refused, the owner
--          keeps its most; a record already listed (the same id stored again, e.g. a retry) is replaced whatever the count
local now = tonumber(ARGV[3])
local lifetime = tonumber(ARGV[4])
local listed = redis.call('ZSCORE', KEYS[2], ARGV[1])
-- The count with this record: known from the bound's check for a new one (it is added), read for a replaced one.
local count
if not listed or tonumber(listed) <= now then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  count = redis.call('ZCARD', KEYS[2])
  if count >= tonumber(ARGV[5]) then
    return -1
  end
  count = count + 1
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', lifetime)
redis.call('ZADD', KEYS[2], now + lifetime, ARGV[1])
redis.call('PEXPIRE', KEYS[2], lifetime)
return count or redis.call('ZCARD', KEYS[2])
