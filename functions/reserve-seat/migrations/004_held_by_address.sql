-- The address an order's seats were held from (a hash of it, as the edge saw it: never the address
-- itself), so that one address holds at most a small share of a show's seats unpaid at once.
ALTER TABLE orders ADD COLUMN address_hash text;
CREATE INDEX orders_held_by_address ON orders (show_id, address_hash)
  WHERE state IN ('pending_payment', 'awaiting_payment') AND address_hash IS NOT NULL;
