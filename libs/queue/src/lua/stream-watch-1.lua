-- stream-watch-1.lua: who watches a resumable job's stream, so that its grace cancels the job only when nobody
-- does. The hash holds one field per attached client (its token) and `left`: when a client last went away (ms).
-- KEYS[1]  the stream's watchers hash
-- ARGV[1]  'attach', 'leave' or 'expire'
-- ARGV[2]  the client's token ('' for expire)
-- attach:  ARGV[3] the hash's lifetime (seconds)                         Returns 1
-- leave:   (nothing more)                                                Returns 1
-- expire:  ARGV[3] the grace (ms), ARGV[4] the cancel channel, ARGV[5] the job id
--          Returns 1 cancelled (nobody attached, and nobody left less than a grace ago), 0 not
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local mode = ARGV[1]
if mode == 'attach' then
  redis.call('HSET', KEYS[1], ARGV[2], '1')
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
if mode == 'leave' then
  if redis.call('HDEL', KEYS[1], ARGV[2]) == 1 then
    redis.call('HSET', KEYS[1], 'left', now)
  end
  return 1
end
-- expire: another client still watches, or left later (its own grace decides), or nobody ever watched (gone).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('HLEN', KEYS[1]) > 1 then
  return 0
end
local left = tonumber(redis.call('HGET', KEYS[1], 'left') or '0')
if now - left < tonumber(ARGV[3]) then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
