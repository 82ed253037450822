-- keys: 2
-- A process's heartbeat while it has calls in flight: puts back the leases Redis forgot (never
-- moving one that is there), and if the bulkhead itself was forgotten, makes it again with its
-- quarantine (lib/epoch.lua), so that nobody takes a slot before every process's leases are back.
-- KEYS: the bulkhead, its epoch
-- ARGV: the quarantine (ms), then for each call in flight: its holder, the lease left (ms)
-- Returns how many leases were put back.
-- include: epoch.lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
slotsOpen(KEYS[2], now, '1', ARGV[1])
local back = 0
for i = 2, #ARGV, 2 do
  back = back + redis.call('ZADD', KEYS[1], 'NX', now + tonumber(ARGV[i + 1]), ARGV[i])
end
return back
