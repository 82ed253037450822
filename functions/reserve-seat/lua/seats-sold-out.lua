-- keys: 1
-- Tells a show's waiting room whether every seat is sold (its visitors still in line are then told
-- sold out), if the show has a waiting room: a missing room is not made here.
-- KEYS: the room ({show:<id>}:room); ARGV: 1 or 0
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seatsSoldOut', ARGV[1])
return 1
