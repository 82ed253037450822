-- keys: 3
-- Takes a slot of the legacy system's bulkhead, shared by every replica: a sorted set of holders
-- by the end of their lease. Lapsed leases (a replica killed in the middle of a call) are dropped
-- first, so a dead holder's slot comes back by itself. A process that already holds its share
-- while others wait does not take another (lib/fair-share.lua).
-- KEYS: the bulkhead, the processes waiting (by when their mark lapses), its epoch (lib/epoch.lua)
-- ARGV: holder id ('<process>:<call>'), the limit, the lease (ms), the process, its mark (ms),
--       whether the process knew the bulkhead ('1' / '0'), the quarantine (ms)
-- Returns 1 if the slot was taken, else 0 (and the process is marked as waiting).
-- include: fair-share.lua
-- include: epoch.lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not slotsOpen(KEYS[3], now, ARGV[6], ARGV[7]) or redis.call('ZCARD', KEYS[1]) >= limit or overShare(KEYS[1], KEYS[2], ARGV[4], limit, now) then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[4])
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1
