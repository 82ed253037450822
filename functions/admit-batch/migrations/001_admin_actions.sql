-- Every operator action on a waiting room (pause, resume, drain, capacity, overbooking): who did
-- what, when, and the settings before and after. Also logged; this is what an operator queries.
CREATE TABLE admin_actions (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  show_id  text NOT NULL,
  action   text NOT NULL,
  before   jsonb NOT NULL,
  after    jsonb NOT NULL,
  client   text NOT NULL
);
CREATE INDEX admin_actions_by_show ON admin_actions (show_id, at);
