-- Whether the bulkhead may give slots now. If Redis forgot the bulkhead (a restart without its
-- data, a flush) while calls were in flight, their leases went with it: a process that knew the
-- bulkhead (`known`: it used it before, or holds leases) makes it again with a quarantine, during
-- which no slot is given, long enough for every process's heartbeat to put its leases back
-- (bulkhead-remind.lua). A process that never used it finds it new: a first start, no quarantine.
local function slotsOpen(epochKey, now, known, quarantineMs)
  local untilMs = redis.call('HGET', epochKey, 'until')
  if not untilMs then
    untilMs = 0
    if known == '1' then untilMs = now + tonumber(quarantineMs) end
    redis.call('HSET', epochKey, 'since', now, 'until', untilMs)
  end
  return now >= tonumber(untilMs)
end
