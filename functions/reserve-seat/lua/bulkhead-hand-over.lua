-- keys: 3
-- A call is over and another caller of the same process is waiting: its slot goes to that caller
-- in one step (rather than freed, then taken again a round trip later), unless the process holds
-- its share while other processes wait (lib/fair-share.lua): then it is freed for them. Lapsed
-- leases are dropped first, as in bulkhead-acquire.lua, so the limit holds even if the old lease
-- ran out meanwhile.
-- KEYS: the bulkhead, the processes waiting, its epoch (lib/epoch.lua)
-- ARGV: the old holder, the new holder, the limit, the lease (ms), the process, the quarantine (ms)
-- Returns 1 if the new holder has the slot, else 0 (the old one is freed either way).
-- include: fair-share.lua
-- include: epoch.lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not slotsOpen(KEYS[3], now, '1', ARGV[6]) or redis.call('ZCARD', KEYS[1]) >= limit or overShare(KEYS[1], KEYS[2], ARGV[5], limit, now) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
return 1
