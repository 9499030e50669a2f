-- includes/reservation-drop.lua: dropReservation(KEYS, ARGV) removes a job's budget reservation from one ledger (a no-op when that ledger holds none).
-- A reservation is the expiry zset's member `<amount>:<job id>` (see budget-reserve.lua), its amount in the job's
-- billing record too: the ledger holds it while the member is there (gone: lapsed, dropped, or never reserved here).
-- KEYS[1]  in-flight hash (see budget-reserve.lua)
-- KEYS[2]  in-flight expiry zset
-- ARGV[1]  job id
-- ARGV[2]  the job's billing record before this script changed it (false: there was none)
-- Returns  the amount it held (nano-USD), 0 when there was none
local function dropReservation(KEYS, ARGV)
  local record = ARGV[2]
  if record then
    local amount = string.match(record, '^reserved:(%d+)$')
    -- 'released' (or 'settled'): dropped already; a free job ('reserved:0') held nothing.
    if amount == nil or amount == '0' then
      return 0
    end
    if redis.call('ZREM', KEYS[2], amount .. ':' .. ARGV[1]) == 0 then
      return 0
    end
    redis.call('HINCRBY', KEYS[1], 'total', '-' .. amount)
    return tonumber(amount)
  end
  -- No record: a reservation made before records held amounts keeps its amount in the in-flight hash's field for the
  -- job (and its expiry member is the bare job id). Only such jobs, and jobs never reserved, come this way.
  local reserved = redis.call('HGET', KEYS[1], ARGV[1])
  if reserved then
    redis.call('HDEL', KEYS[1], ARGV[1])
    redis.call('HINCRBY', KEYS[1], 'total', '-' .. reserved)
    redis.call('ZREM', KEYS[2], ARGV[1])
  end
  return tonumber(reserved or '0')
end
