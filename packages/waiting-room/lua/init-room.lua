-- keys: 10
-- Creates a show's waiting room from its catalog facts (ARGV: field, value, …), unless it exists:
-- live changes an operator made (capacity, overbooking, pause) are never overwritten.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
local expireAt = tonumber(redis.call('HGET', KEYS[1], 'expireAt'))
if expireAt then redis.call('PEXPIREAT', KEYS[1], expireAt) end
return 1
