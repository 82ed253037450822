-- keys: 1
-- Takes a slot of the legacy system's bulkhead, shared by every replica: a sorted set of holders
-- by the end of their lease. Lapsed leases (a replica killed in the middle of a call) are dropped
-- first, so a dead holder's slot comes back by itself.
-- KEYS: the bulkhead
-- ARGV: holder id, the limit, the lease (ms)
-- Returns 1 if the slot was taken, else 0.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1
