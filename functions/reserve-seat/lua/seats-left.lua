-- keys: 1
-- Tells a show's waiting room how many seats are left to sell (neither held nor sold) and whether
-- every seat is sold (its visitors still in line are then told sold out), if the show has a
-- waiting room: a missing room is not made here.
-- KEYS: the room ({show:<id>}:room); ARGV: 1 or 0 (sold out), seats free, seats per order (average)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seatsSoldOut', ARGV[1], 'seatsFree', ARGV[2], 'seatsPerOrder', ARGV[3])
return 1
