-- Shows are listed in their cinema's local time (an IANA time zone name).
ALTER TABLE cinemas ADD COLUMN time_zone text NOT NULL DEFAULT 'America/Sao_Paulo';
