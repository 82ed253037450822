-- keys: 10
-- Rebuilds a show's waiting room that Redis forgot, from what is durable (room.ts, restoreRoom):
-- the catalog's facts and the operators' last settings, the token ledger's highest visitor number
-- (every number up to it counts as issued, so the quota is never issued twice and no number is
-- given to two visitors), reserve-seat's visits (who is in the zone, whose visit ended with
-- seats or without) and the tokens given back one by one (issue_token.returned_tokens). The tokens of everyone else are counted live until their holders come back
-- or the grace ends (lib/recovery.lua). Does nothing if the room exists (another process rebuilt
-- it, or it was never lost).
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: JSON {fields = {room hash field = value}, visitors = {{vid, ses, state ('inside' | 'done' | 'left'),
--       admittedAt, lease (ms, inside), seated (0/1), returned (0/1)}, …}}
-- Returns 1 if rebuilt, 0 if the room exists.
-- include: listing.lua
local room, sessions, inside, visitorPrefix, availability = KEYS[1], KEYS[2], KEYS[5], KEYS[6], KEYS[7]
if redis.call('EXISTS', room) == 1 then return 0 end
local restored = cjson.decode(ARGV[1])
for field, value in pairs(restored.fields) do redis.call('HSET', room, field, value) end
local expireAt = tonumber(restored.fields.expireAt)
redis.call('PEXPIREAT', room, expireAt)
for _, v in ipairs(restored.visitors) do
  local key = visitorPrefix .. v.vid
  redis.call('HSET', key, 'session', v.ses, 'address', '', 'place', '', 'state', v.state, 'joinedAt', v.admittedAt,
    'lastSeen', v.admittedAt, 'admittedAt', v.admittedAt, 'deadline', v.lease, 'seated', v.seated, 'returned', v.returned)
  redis.call('PEXPIREAT', key, expireAt)
  redis.call('HSET', sessions, v.ses, v.vid)
  if v.state == 'inside' then redis.call('ZADD', inside, v.lease, v.vid) end
end
if #restored.visitors > 0 then
  redis.call('PEXPIREAT', sessions, expireAt)
  if redis.call('EXISTS', inside) == 1 then redis.call('PEXPIREAT', inside, expireAt) end
end
relist(room, availability)
return 1
