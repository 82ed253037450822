-- A row may carry a whole CloudEvent to send as it is, with another sender's id and source: an
-- operator's replay of a dead letter. Consumers dedupe it by that source + id, so a replay of
-- something already handled changes nothing. NULL: the row is the function's own event.
ALTER TABLE outbox ADD COLUMN cloudevent jsonb;
