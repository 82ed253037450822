-- A show's quota counts live tokens: the room's `issued` numbers every token ever given, its
-- `returned` counts those given back. A token goes back when its visit ends without seats (the
-- visitor left, was passed over, let the admission expire, left the zone without a word, or ended
-- the visit without an order), at most once (the visitor's `returned` mark: redeliveries and
-- racing scripts find it), and never once it became seats (`seated`: an order confirmed).
-- An address's share (`addresses`) counts its tokens still in play: one given back or become seats
-- frees it, so buyers behind one carrier's address do not lock out the rest. Returns 1 if given
-- back now.
local function giveBack(room, addresses, key)
  if redis.call('EXISTS', key) == 0 then return 0 end
  local v = redis.call('HMGET', key, 'returned', 'seated', 'address')
  if v[1] == '1' or v[2] == '1' then return 0 end
  redis.call('HSET', key, 'returned', 1)
  redis.call('HINCRBY', room, 'returned', 1)
  if v[3] and redis.call('HINCRBY', addresses, v[3], -1) <= 0 then redis.call('HDEL', addresses, v[3]) end
  return 1
end

-- An order of the visit was confirmed: the token became seats, and its address's share is free.
-- One given back already (the buyer left the zone, or its lease lapsed, while the payment went
-- through) is taken again from the quota: it was not unused after all (its share was freed then).
-- Returns 1 if taken back from the quota now.
local function takeAsSeats(room, addresses, key)
  if redis.call('EXISTS', key) == 0 then return 0 end
  local v = redis.call('HMGET', key, 'seated', 'returned', 'address')
  if v[1] == '1' then return 0 end
  redis.call('HSET', key, 'seated', 1)
  if v[2] ~= '1' then
    if v[3] and redis.call('HINCRBY', addresses, v[3], -1) <= 0 then redis.call('HDEL', addresses, v[3]) end
    return 0
  end
  redis.call('HSET', key, 'returned', 0)
  redis.call('HINCRBY', room, 'returned', -1)
  return 1
end
