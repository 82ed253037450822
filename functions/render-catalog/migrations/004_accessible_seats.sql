-- A room's accessible places, as Brazilian law asks of cinemas (Lei 13.146/2015, art. 44; ABNT
-- NBR 9050): spaces for wheelchair users, each with a companion's seat beside it, and seats for
-- people with reduced mobility. NULL: an ordinary seat. Anyone may buy them; the seat map says what
-- they are for.
ALTER TABLE seats ADD COLUMN accessibility text CHECK (accessibility IN ('wheelchair', 'companion', 'reduced_mobility'));
