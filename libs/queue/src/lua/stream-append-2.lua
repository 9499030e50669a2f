-- stream-append-2.lua: keeps one message of a resumable job's stream and, when an API instance relays it live,
-- publishes it there, in one round trip (the message is kept before anyone can be told of it). A run of the job
-- appends only while it holds the job's lock: a run whose lock lapsed (and which another run may have taken over,
-- going on from the messages kept so far) is refused, so two runs never write the same stream.
-- KEYS[1]  the job's stream (a Redis stream; entry field `m` = the message's JSON)
-- KEYS[2]  the job's BullMQ lock (string: the token of the run holding it)
-- ARGV[1]  the message (JSON of a ReplyMessage: chunk, stream-end or error)
-- ARGV[2]  most entries kept (XADD MAXLEN ~)
-- ARGV[3]  lifetime of the stream in ms (renewed by every append; the job's result retention)
-- ARGV[4]  the reply channel to PUBLISH to, or '' for none (an asynchronous job)
-- ARGV[5]  the appending run's lock token, or '' to append whoever holds the lock
-- Returns  1 when kept, 0 when refused (the lock is not the run's)
if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[5] then
  return 0
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[1])
end
return 1
