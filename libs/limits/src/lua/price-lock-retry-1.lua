-- price-lock-retry-1.lua: shortens the price-refresh lock after a failed fetch, if this instance still holds it,
-- so the next try (by any instance) comes after ARGV[2] ms rather than a whole refresh period.
-- KEYS[1]  the lock (string: holder id)
-- ARGV[1]  this instance's id
-- ARGV[2]  ms until the next try
-- Returns  1 shortened, 0 not held by this instance
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
