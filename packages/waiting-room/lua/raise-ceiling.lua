-- keys: 10
-- Visitor numbers up to ARGV[1] were reserved in the durable token ledger (ledger.ts): joins may
-- issue them. Never lowers the ceiling (reservations of several processes arrive in any order).
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: the new ceiling. Returns the room's ceiling, or -1 if the room does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local ceiling = tonumber(redis.call('HGET', KEYS[1], 'ceiling') or '0')
if tonumber(ARGV[1]) > ceiling then
  ceiling = tonumber(ARGV[1])
  redis.call('HSET', KEYS[1], 'ceiling', ceiling)
end
return ceiling
