-- deployment-pause-1.lua: the deployment answered 429: every worker's calls to it wait (a longer pause is kept).
-- KEYS[1]  the deployment's hash (see deployment-take-1; paused_until in ms)
-- ARGV[1]  the pause, ms
-- ARGV[2]  now in ms, or '' for the Redis server's TIME
-- Returns  {Done, paused_until}
--- @include "includes/codes"
local now = tonumber(ARGV[2])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local untilMs = now + tonumber(ARGV[1])
local before = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
if before >= untilMs then
  return {Code.Done, before}
end
redis.call('HSET', KEYS[1], 'paused_until', untilMs)
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return {Code.Done, untilMs}
