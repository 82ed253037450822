-- keys: 10
-- A visitor's poll: a few O(1) / O(log n) reads in one round trip, and the time they were last
-- seen (the bouncer skips visitors who stopped polling: nobody waits on a closed tab).
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: visitor, their token's session hash
-- Returns {'no_room'} if the room does not exist, {'unknown'} if it does not know the visitor (or
-- their number is another session's: Redis forgot them, see reinstate.lua), else {state, place, ahead, waiting, pre-queue length, visitMs, capacity, inside, deadline,
--          availability, opensAt, opened, paused, earliest lease in the zone, now, seats sold out,
--          seats free (else the show's seats), seats per order, {admittedAt, lease, …} of the
--          visitors inside (waiting visitors only: for their wait estimate), leftVisitMs ('' until
--          a visitor left the zone)}; paused while a
--          rebuilt room waits for its visitors (lib/recovery.lua).
local room, queue, prequeue, inside, visitorPrefix, availability = KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = visitorPrefix .. ARGV[1]
local v = redis.call('HMGET', key, 'state', 'place', 'deadline', 'session')
if not v[1] or v[4] ~= ARGV[2] then
  if redis.call('EXISTS', room) == 0 then return {'no_room'} end
  return {'unknown'}
end
local state = v[1]
-- An admission not used by its deadline is lost, even before the bouncer reclaims the slot.
if state == 'admitted' and tonumber(v[3]) <= now then state = 'expired' end
if state == 'waiting' or state == 'pre' then redis.call('HSET', key, 'lastSeen', now) end
local ahead = -1
if state == 'waiting' then ahead = redis.call('ZRANK', queue, ARGV[1]) or -1 end
local r = redis.call('HMGET', room, 'visitMs', 'capacity', 'opensAt', 'opened', 'paused', 'seatsSoldOut', 'seatsFree', 'seatsPerOrder', 'seats', 'recoverUntil', 'leftVisitMs')
if r[10] and now < tonumber(r[10]) then r[5] = '1' end
local earliest = redis.call('ZRANGE', inside, 0, 0, 'WITHSCORES')
local zone = {}
if state == 'waiting' then
  local all = redis.call('ZRANGE', inside, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    zone[#zone + 1] = redis.call('HGET', visitorPrefix .. all[i], 'admittedAt') or '0'
    zone[#zone + 1] = all[i + 1]
  end
end
return {
  state, v[2] or '', ahead, redis.call('ZCARD', queue), redis.call('ZCARD', prequeue),
  r[1] or '', r[2] or '0', redis.call('ZCARD', inside), v[3] or '', redis.call('GET', availability) or 'available',
  r[3] or '0', r[4] or '0', r[5] or '0', earliest[2] or '', now, r[6] or '0', r[7] or r[9], r[8] or '', zone, r[11] or '',
}
