--[[
  The enqueue time (ms) of the oldest job among the next to be served in a lane's queue, -1 where none waits.
  KEYS[1] the queue's wait list (served from its right end)
  KEYS[2] the queue's prioritized set
  ARGV[1] the queue's job key prefix (`<prefix>:chat-job:`), ARGV[2] jobs read per band,
  then per range of priorities read: its band count, then each band's [low, high) score range.
  Replies { wait list, range 1, range 2, ... }. Reads at most ARGV[2] jobs per band: bounded however long the lanes.
]]
local prefix = ARGV[1]
local perBand = tonumber(ARGV[2])

local function oldest(ids, found)
  for _, id in ipairs(ids) do
    local stamp = tonumber(redis.call('HGET', prefix .. id, 'timestamp'))
    if stamp and (found < 0 or stamp < found) then found = stamp end
  end
  return found
end

local reply = { oldest(redis.call('LRANGE', KEYS[1], -perBand, -1), -1) }
local index = 3
while index <= #ARGV do
  local bands = tonumber(ARGV[index])
  index = index + 1
  local found = -1
  for _ = 1, bands do
    found = oldest(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[index], '(' .. ARGV[index + 1], 'LIMIT', 0, perBand), found)
    index = index + 2
  end
  reply[#reply + 1] = found
end
return reply
