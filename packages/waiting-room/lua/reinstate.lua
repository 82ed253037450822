-- keys: 10
-- A visitor whose token is valid but whom the room does not know (Redis forgot them: a rebuilt
-- room, a failover to a replica that lagged) is put back where their token says: at their place in
-- line, in the pre-queue, or admitted until their access token's expiry. Their token counts as
-- live again: one the rebuilt room was waiting for, or, after its grace, one taken back from the
-- quota (and then at the back of the line). A token given back before (issue_token.returned_tokens,
-- loaded by the rebuild) is known, as left: its holder is not put back.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: visitor, session hash, place ('' if none yet), 'waiting' | 'admitted', admission deadline
--       (ms; admitted), joined at (ms), pre-queue draw
-- Returns {outcome, visitor, place}: 'no_room'; 'must_reserve' (visitor: the room's issued; a new
-- number is needed and none is reserved: reserve, then ask again); 'known' (nothing to do); 'superseded' (the
-- session holds another live number: visitor); 'reinstated' (visitor: a new number if another
-- visitor was given theirs while Redis had forgotten it; place: '' in the pre-queue).
-- include: listing.lua
-- include: recovery.lua
local room, sessions, queue, prequeue, inside, visitorPrefix, availability = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
if redis.call('EXISTS', room) == 0 then return {'no_room'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
endRecovery(room, queue, KEYS[9], now)
local visitor, ses, place, state = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local r = redis.call('HMGET', room, 'issued', 'unclaimed', 'seq', 'opensAt', 'opened', 'expireAt', 'recoverUntil', 'graceMs', 'lateClaims', 'ceiling')
local issued, expireAt = tonumber(r[1] or '0'), tonumber(r[6])

local known = redis.call('HGET', visitorPrefix .. visitor, 'session')
if known == ses then
  -- Put back in line by their waiting page's poll, then come with the access token they had been
  -- given before Redis forgot them: admitted after all.
  local v = redis.call('HMGET', visitorPrefix .. visitor, 'state', 'reinstated', 'place')
  if state == 'admitted' and v[2] == '1' and (v[1] == 'waiting' or v[1] == 'pre') then
    redis.call('ZREM', queue, visitor)
    redis.call('ZREM', prequeue, visitor)
    redis.call('ZADD', inside, ARGV[5], visitor)
    redis.call('PEXPIREAT', inside, expireAt)
    redis.call('HSET', visitorPrefix .. visitor, 'state', 'admitted', 'admittedAt', now, 'deadline', ARGV[5])
    return {'reinstated', visitor, v[3] or ''}
  end
  return {'known', visitor, ''}
end
local current = redis.call('HGET', sessions, ses)
if current and tonumber(current) ~= visitor then
  local s = redis.call('HGET', visitorPrefix .. current, 'state')
  if s and s ~= 'left' and s ~= 'expired' and s ~= 'gone' and s ~= 'done' then return {'superseded', current, ''} end
end

if known then
  -- Their number went to someone else while Redis had forgotten it: a new number, the same place
  -- (one the ledger has reserved: else the caller reserves more and asks again).
  if issued >= tonumber(r[10] or '0') then return {'must_reserve', issued, ''} end
  visitor = redis.call('HINCRBY', room, 'issued', 1)
elseif visitor <= issued and tonumber(r[2] or '0') > 0 then
  redis.call('HINCRBY', room, 'unclaimed', -1) -- counted live since the rebuild: claimed now
elseif visitor > issued then
  -- Numbers Redis lost: this one is live again, the others are waited for as after a rebuild.
  redis.call('HSET', room, 'issued', visitor)
  if visitor - issued > 1 then
    redis.call('HINCRBY', room, 'unclaimed', visitor - issued - 1)
    local untilMs = math.max(tonumber(r[7] or '0'), now + tonumber(r[8] or '45000'))
    redis.call('HSET', room, 'recoverUntil', untilMs)
  end
elseif tonumber(r[9] or '0') > 0 then
  -- Given back when a rebuilt room's grace ended without them: taken again, at the back of the line
  -- (those who came back in time, and those who joined since, keep their turn).
  redis.call('HINCRBY', room, 'lateClaims', -1)
  redis.call('HINCRBY', room, 'returned', -1)
  if place ~= '' then place = redis.call('HINCRBY', room, 'seq', 1) end
end

local key = visitorPrefix .. visitor
if place == '' then
  if tonumber(r[4] or '0') > 0 and r[5] ~= '1' then
    state = 'pre'
    redis.call('ZADD', prequeue, ARGV[7], visitor)
    redis.call('PEXPIREAT', prequeue, expireAt)
  else
    place = redis.call('HINCRBY', room, 'seq', 1) -- the draw was lost with Redis: the back of the line
  end
elseif tonumber(place) > tonumber(r[3] or '0') then
  redis.call('HSET', room, 'seq', place)
end
if state == 'waiting' then
  redis.call('ZADD', queue, place, visitor)
  redis.call('PEXPIREAT', queue, expireAt)
elseif state == 'admitted' then
  redis.call('ZADD', inside, ARGV[5], visitor)
  redis.call('PEXPIREAT', inside, expireAt)
  redis.call('HSET', key, 'admittedAt', now, 'deadline', ARGV[5])
end
redis.call('HSET', key, 'session', ses, 'address', '', 'place', place, 'state', state, 'joinedAt', ARGV[6], 'lastSeen', now, 'reinstated', 1)
redis.call('PEXPIREAT', key, expireAt)
redis.call('HSET', sessions, ses, visitor)
redis.call('PEXPIREAT', sessions, expireAt)
relist(room, availability)
return {'reinstated', visitor, tostring(place)}
