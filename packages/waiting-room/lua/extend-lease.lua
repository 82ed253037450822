-- keys: 10
-- A visitor in the zone is active (entered seat selection, holds seats) until a later time: their
-- slot's lease is extended, never shortened. The first time, they came in: when is kept
-- (`enteredAt`, for the wait estimates: a visitor admitted and not in yet holds the slot by their
-- admission's window).
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: visitor, until (ms). Returns 1 if extended, 0 if not inside or already later.
local lease = redis.call('ZSCORE', KEYS[5], ARGV[1])
if not lease or tonumber(lease) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[5], 'XX', ARGV[2], ARGV[1])
local key = KEYS[6] .. ARGV[1]
if redis.call('HGET', key, 'state') == 'admitted' then
  local t = redis.call('TIME')
  redis.call('HSET', key, 'enteredAt', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
redis.call('HSET', key, 'state', 'inside')
return 1
