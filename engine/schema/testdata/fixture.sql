-- Fixture for the schema golden test: every scalar mapping, an enum type,
-- an is_enum table, a view, custom names, relationships of every form and
-- a composite foreign key.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');

CREATE TABLE author (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  email      email,
  bio        varchar(200),
  rating     real,
  score      double precision,
  balance    numeric(12,2),
  followers  bigint NOT NULL DEFAULT 0,
  rank       smallint,
  active     boolean NOT NULL DEFAULT true,
  born       date,
  wakes_at   time,
  sleeps_at  timetz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamp,
  session    interval,
  uid        uuid,
  profile    jsonb,
  raw        json,
  avatar     bytea,
  ip         inet,
  initials   char(2),
  handle     citext,
  tags       text[],
  lucky      int4[],
  feeling    mood,
  wallet     money
);
COMMENT ON TABLE author IS 'people who write';
COMMENT ON COLUMN author.name IS 'full name';

CREATE TABLE article_status (value text PRIMARY KEY, comment text);
INSERT INTO article_status VALUES ('draft', 'not yet published'), ('published', NULL);

CREATE TABLE article (
  id        serial PRIMARY KEY,
  title     text NOT NULL,
  author_id int NOT NULL REFERENCES author(id),
  editor_id int REFERENCES author(id),
  status    text NOT NULL REFERENCES article_status(value),
  published boolean NOT NULL DEFAULT false
);

CREATE TABLE article_detail (
  article_id int PRIMARY KEY REFERENCES article(id),
  body       text
);

CREATE SCHEMA geo;
CREATE TABLE geo.region (
  country text NOT NULL,
  code    text NOT NULL,
  name    text NOT NULL,
  PRIMARY KEY (country, code)
);
CREATE TABLE geo."Office" (
  "Id"        int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  country     text NOT NULL,
  region_code text NOT NULL,
  FOREIGN KEY (country, region_code) REFERENCES geo.region (country, code)
);

CREATE VIEW author_stats AS
  SELECT author_id, count(*) AS articles FROM article GROUP BY author_id;

CREATE FUNCTION author_full_label(a author) RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT a.name || ' <' || coalesce(a.email::text, '') || '>' $$;
CREATE FUNCTION author_recent_articles(a author, days int) RETURNS SETOF article
  LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE author_id = a.id $$;
