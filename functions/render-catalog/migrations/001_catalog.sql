-- The catalog: reference data owned by render-catalog. Other functions may read these tables
-- (qualified: render_catalog.shows), never write them. See docs/architecture.md.

CREATE DOMAIN catalog_id AS text CHECK (VALUE ~ '^[a-z0-9][a-z0-9-]{0,63}$');

CREATE TABLE cinemas (
  id      catalog_id PRIMARY KEY,
  name    text NOT NULL,
  city    text NOT NULL,
  address text NOT NULL
);

CREATE TABLE rooms (
  id        catalog_id PRIMARY KEY,
  cinema_id catalog_id NOT NULL REFERENCES cinemas (id),
  name      text NOT NULL,
  room_type text NOT NULL CHECK (room_type IN ('regular', 'imax', 'vip'))
);

-- A room's seat map: rows of numbered seats; `col` places a seat on the grid, so gaps are aisles.
CREATE TABLE seats (
  room_id   catalog_id NOT NULL REFERENCES rooms (id),
  seat      text NOT NULL CHECK (seat ~ '^[A-Z]{1,2}[0-9]{1,3}$'), -- "F12"
  row_label text NOT NULL,
  number    integer NOT NULL CHECK (number > 0),
  col       integer NOT NULL CHECK (col > 0),
  PRIMARY KEY (room_id, seat),
  UNIQUE (room_id, row_label, number)
);

CREATE TABLE movies (
  id               catalog_id PRIMARY KEY,
  title            text NOT NULL,
  synopsis         text NOT NULL,
  duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
  rating           text NOT NULL,
  release_date     date NOT NULL,
  status           text NOT NULL CHECK (status IN ('now_showing', 'premiere', 'coming_soon'))
);

CREATE TABLE shows (
  id               catalog_id PRIMARY KEY,
  movie_id         catalog_id NOT NULL REFERENCES movies (id),
  room_id          catalog_id NOT NULL REFERENCES rooms (id),
  starts_at        timestamptz NOT NULL,
  -- Before this moment visitors join a pre-queue (random order at opening); NULL: on sale now.
  sales_open_at    timestamptz,
  -- Extra waiting-room tokens beyond the seats, as a fraction (0.10 = 10%); NULL: the global default.
  overbooking      numeric(4, 3) CHECK (overbooking >= 0 AND overbooking <= 1),
  currency         char(3) NOT NULL DEFAULT 'BRL',
  price_full_cents integer NOT NULL CHECK (price_full_cents > 0),
  price_half_cents integer NOT NULL CHECK (price_half_cents > 0 AND price_half_cents <= price_full_cents)
);
CREATE INDEX shows_by_movie ON shows (movie_id, starts_at);
CREATE INDEX shows_by_room ON shows (room_id, starts_at);

-- Extras sold with tickets (popcorn, drink combos), per cinema.
CREATE TABLE extras (
  id          catalog_id PRIMARY KEY,
  cinema_id   catalog_id NOT NULL REFERENCES cinemas (id),
  name        text NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents > 0)
);
