-- keys: 10
-- Sizes the protected zone so that the legacy seat system is kept busy to its limit, never beyond
-- it (reserve-seat's bulkhead sees to that): at most once per interval per show, from the legacy
-- system's usage since the last time (counters for the whole deployment, read from
-- {legacy}:usage by the caller). Buyers waiting for a legacy slot, or giving up waiting: the zone
-- shrinks by a fifth, never below its base (the catalog's or the operator's). The legacy system
-- short of the target utilisation while more people wait than the zone has room for: the zone
-- grows by a quarter, never above the maximum. An operator's fixed capacity is left alone.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: busyMs, waitedMs, calls, full (the usage counters), the legacy limit, interval (ms),
--       the maximum capacity, the target utilisation (0-1), the mean slot wait that is too long (ms)
-- Returns {capacity, 'up' | 'down' | '' (no change), utilisation × 1000 (-1: not measured now),
--          mean slot wait (ms, -1: not measured now)}
local room, queue, inside = KEYS[1], KEYS[3], KEYS[5]
local busy, waited, calls, full, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local interval, max, target, waitHigh = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local r = redis.call('HMGET', room, 'capacity', 'capacityBase', 'capacityFixed', 'adaptAt', 'adaptBusyMs', 'adaptWaitedMs', 'adaptCalls', 'adaptFull')
local capacity = tonumber(r[1])
if not capacity or r[3] == '1' then return {capacity or 0, '', -1, -1} end
local base = tonumber(r[2]) or capacity
local at = tonumber(r[4])
local function remember()
  redis.call('HSET', room, 'capacityBase', base, 'adaptAt', now, 'adaptBusyMs', busy, 'adaptWaitedMs', waited, 'adaptCalls', calls, 'adaptFull', full)
end
if not at then
  remember() -- first look: measured from now
  return {capacity, '', -1, -1}
end
local elapsed = now - at
if elapsed < interval then return {capacity, '', -1, -1} end
if busy < tonumber(r[5]) or waited < tonumber(r[6]) or calls < tonumber(r[7]) or full < tonumber(r[8]) then
  -- Read before a concurrent pass that went first; or, still behind long after, the counters
  -- started again (their key was lost): measured from now.
  if elapsed > 10 * interval then remember() end
  return {capacity, '', -1, -1}
end

local utilisation = (busy - tonumber(r[5])) / (limit * elapsed)
local newCalls = calls - tonumber(r[7])
local meanWait = 0
if newCalls > 0 then meanWait = (waited - tonumber(r[6])) / newCalls end
local gaveUp = full - tonumber(r[8])

local sized = capacity
if gaveUp > 0 or meanWait > waitHigh then
  sized = math.max(base, math.floor(capacity * 0.8))
elseif utilisation < target and redis.call('ZCARD', queue) > capacity - redis.call('ZCARD', inside) then
  -- (more people wait than the zone has room for; passes run as visitors leave, so it is rarely full just then)
  sized = math.max(capacity, math.min(math.max(max, base), capacity + math.max(1, math.ceil(capacity / 4))))
end
remember()
local change = ''
if sized > capacity then change = 'up' elseif sized < capacity then change = 'down' end
if change ~= '' then redis.call('HSET', room, 'capacity', sized) end
return {sized, change, math.floor(utilisation * 1000), math.floor(meanWait)}
