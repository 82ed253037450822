-- keys: 10
-- reserve-seat counted a show's seats: the room learns how many are left to sell (neither held nor
-- sold), how many an order takes on average, and whether every seat is sold (its visitors still in
-- line are then told sold out), if the show has a waiting room: a missing room is not made here.
-- KEYS: room, sessions, queue, prequeue, inside, visitor key prefix, availability, admissions, holes, addresses
-- ARGV: 1 or 0 (sold out), seats free, seats per order (average; '' before any order: the room
-- keeps its last count, and with none the line goes by what it assumes). Returns 1, or 0 without a room.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seatsSoldOut', ARGV[1], 'seatsFree', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'seatsPerOrder', ARGV[3]) end
return 1
