-- keys: 10
-- A visitor in the zone is active (entered seat selection, holds seats) until a later time: their
-- slot's lease is extended, never shortened.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: visitor, until (ms). Returns 1 if extended, 0 if not inside or already later.
local lease = redis.call('ZSCORE', KEYS[5], ARGV[1])
if not lease or tonumber(lease) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[5], 'XX', ARGV[2], ARGV[1])
redis.call('HSET', KEYS[6] .. ARGV[1], 'state', 'inside')
return 1
