-- stream-watch-1.lua: ends a resumable stream's grace: the job is cancelled only when nobody attached to its
-- stream since its last client went away (the watcher token is still the one that client set).
-- KEYS[1]  the stream's watcher key (string: the token of the client that attached last)
-- ARGV[1]  the token of the client that went away
-- ARGV[2]  the cancel channel
-- ARGV[3]  the job id (the cancel message)
-- Returns  1 cancelled, 0 someone else attached meanwhile
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
