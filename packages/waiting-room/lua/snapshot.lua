-- keys: 10
-- What every poll of a show needs, read once for all of them (a process refreshes it a few times
-- a second; see snapshot.ts), and the visitors who polled since the last one marked as seen.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: the most gaps to return, how long (ms) a waiting visitor may go unseen before the bouncer
--       passes them over, then the visitors seen since the last snapshot (visitor, the session
--       hash of their token, …)
-- Returns {now, capacity, paused, opensAt, opened, visitMs, seatsSoldOut, availability,
--          last place given, head place ('' if nobody waits), waiting, pre-queue,
--          {visitor, lease, …} inside, {place, …} gaps behind the head, gaps truncated (0/1),
--          seats free (else the show's seats), seats per order, recovering (0/1: a rebuilt room
--          waits for its visitors, lib/recovery.lua), {visitor, …} of the seen whom the room does
--          not know (Redis forgot them: their next poll goes to Redis, which puts them back),
--          {admittedAt, …} of the visitors inside in the order above, {place, …} ascending of the
--          visitors near the head of the line who stopped polling (the bouncer will pass them
--          over: wait estimates do not count them; only the first STALE_SCAN are looked at),
--          leftVisitMs (how long the visits of those who left the zone took, '' until one did)}
local room, queue, prequeue, inside, visitorPrefix, availability, holes = KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[9]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local unknown = {}
for i = 3, #ARGV, 2 do
  local key = visitorPrefix .. ARGV[i]
  local v = redis.call('HMGET', key, 'state', 'session')
  if v[2] ~= ARGV[i + 1] then
    unknown[#unknown + 1] = ARGV[i] -- no such visitor, or the number is another session's
  elseif v[1] == 'waiting' or v[1] == 'pre' then
    redis.call('HSET', key, 'lastSeen', now)
  end
end
local r = redis.call('HMGET', room, 'capacity', 'paused', 'opensAt', 'opened', 'visitMs', 'seatsSoldOut', 'seq', 'seatsFree', 'seatsPerOrder', 'seats', 'recoverUntil', 'leftVisitMs')
if not r[1] then return {now} end
local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
local headPlace = head[2] or ''
local gaps = {}
local truncated = 0
if headPlace ~= '' then
  local max = tonumber(ARGV[1])
  gaps = redis.call('ZRANGEBYSCORE', holes, headPlace, '+inf', 'LIMIT', 0, max + 1)
  if #gaps > max then truncated = 1; table.remove(gaps) end
end
local insideList = redis.call('ZRANGE', inside, 0, -1, 'WITHSCORES')
local admittedAt = {}
for i = 1, #insideList, 2 do admittedAt[#admittedAt + 1] = redis.call('HGET', visitorPrefix .. insideList[i], 'admittedAt') or '0' end
-- Near the head of the line, where they weigh on the estimates most; a few hundred reads at most.
local STALE_SCAN = math.min(400, 4 * tonumber(r[1]))
local stale = {}
local goneAfter = tonumber(ARGV[2])
if headPlace ~= '' then
  local near = redis.call('ZRANGE', queue, 0, STALE_SCAN - 1, 'WITHSCORES')
  for i = 1, #near, 2 do
    if now - tonumber(redis.call('HGET', visitorPrefix .. near[i], 'lastSeen') or '0') > goneAfter then stale[#stale + 1] = near[i + 1] end
  end
end
return {
  now, r[1], r[2] or '0', r[3] or '0', r[4] or '0', r[5] or '', r[6] or '0',
  redis.call('GET', availability) or 'available', r[7] or '0', headPlace,
  redis.call('ZCARD', queue), redis.call('ZCARD', prequeue),
  insideList, gaps, truncated, r[8] or r[10], r[9] or '',
  (r[11] and now < tonumber(r[11])) and 1 or 0, unknown, admittedAt, stale, r[12] or '',
}
