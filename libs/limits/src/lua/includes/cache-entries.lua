-- includes/cache-entries.lua: the book of one response-cache scope (an API key's entries, or a caller kind's): its
-- index (zset entry hash -> expiry ms) and its sizes (hash entry hash -> bytes, `total` -> their sum). Every entry a
-- scope keeps is in both, with its bytes counted once in `total`; the entry's own key is its name prefix followed by
-- its hash. Expired entries leave the book lazily (Redis does not say when a key expires): whoever writes or reads
-- the book drops the ones whose time is up first.
-- KEYS     none of their own: the callers pass the index, the sizes and the scope's entry name prefix
-- Defines  dropEntry(index, sizes, entryPrefix, member[, size]): removes one entry, its bytes (`size` when the caller
--            read them already) and its key; returns whether its key still existed (1 or 0) and the bytes it freed
--          trimExpired(index, sizes, entryPrefix, nowMs, limit): drops at most `limit` entries whose time is up
--            (oldest first); returns how many it dropped
--          nowMs(): Redis's clock in ms (one clock for every instance)
local function dropEntry(index, sizes, entryPrefix, member, size)
  size = size or tonumber(redis.call('HGET', sizes, member) or '0')
  redis.call('HDEL', sizes, member)
  if size > 0 then
    redis.call('HINCRBY', sizes, 'total', -size)
  end
  redis.call('ZREM', index, member)
  return redis.call('DEL', entryPrefix .. member), size
end

local function trimExpired(index, sizes, entryPrefix, nowMs, limit)
  local expired = redis.call('ZRANGE', index, '-inf', nowMs, 'BYSCORE', 'LIMIT', 0, limit)
  for _, member in ipairs(expired) do
    dropEntry(index, sizes, entryPrefix, member)
  end
  return #expired
end

local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
