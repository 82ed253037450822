-- How many visitors a cinema's protected zone (seat selection and checkout) takes at once; its
-- legacy seat system's limit. NULL: the waiting room's ZONE_CAPACITY_DEFAULT.
ALTER TABLE cinemas ADD COLUMN zone_capacity integer CHECK (zone_capacity > 0);
