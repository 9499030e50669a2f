-- stream-append-1.lua: keeps one message of a resumable job's stream and, when an API instance relays it live,
-- publishes it there, in one round trip (the message is kept before anyone can be told of it).
-- KEYS[1]  the job's stream (a Redis stream; entry field `m` = the message's JSON)
-- ARGV[1]  the message (JSON of a ReplyMessage: chunk, stream-end or error)
-- ARGV[2]  most entries kept (XADD MAXLEN ~)
-- ARGV[3]  lifetime of the stream in ms (renewed by every append; the job's result retention)
-- ARGV[4]  the reply channel to PUBLISH to, or '' for none (an asynchronous job)
-- Returns  1
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[1])
end
return 1
