-- Strata demo schema: a small music catalogue (artist -> album -> track,
-- plus genre), loaded by `make run` into a new strata_demo database.
CREATE TABLE artist (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  country    text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE genre (
  id   serial PRIMARY KEY,
  name text NOT NULL UNIQUE
);
CREATE TABLE album (
  id        serial PRIMARY KEY,
  title     text NOT NULL,
  artist_id integer NOT NULL REFERENCES artist(id),
  released  date,
  tags      jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE track (
  id           serial PRIMARY KEY,
  name         text NOT NULL,
  album_id     integer NOT NULL REFERENCES album(id),
  genre_id     integer REFERENCES genre(id),
  milliseconds integer NOT NULL,
  unit_price   numeric(10,2) NOT NULL DEFAULT 0.99
);
CREATE INDEX ON album (artist_id);
CREATE INDEX ON track (album_id);

INSERT INTO artist (name, country) VALUES
  ('Miles Davis', 'US'), ('Nina Simone', 'US'), ('Björk', 'IS'), ('Radiohead', 'GB');
INSERT INTO genre (name) VALUES ('Jazz'), ('Soul'), ('Electronic'), ('Rock');
INSERT INTO album (title, artist_id, released, tags) VALUES
  ('Kind of Blue', 1, '1959-08-17', '{"label": "Columbia", "modal": true}'),
  ('Bitches Brew', 1, '1970-03-30', '{"label": "Columbia"}'),
  ('Pastel Blues', 2, '1965-10-01', '{"label": "Philips"}'),
  ('Homogenic', 3, '1997-09-22', '{"label": "One Little Indian"}'),
  ('OK Computer', 4, '1997-05-21', '{"label": "Parlophone"}'),
  ('Kid A', 4, '2000-10-02', '{"label": "Parlophone", "experimental": true}');
INSERT INTO track (name, album_id, genre_id, milliseconds, unit_price) VALUES
  ('So What', 1, 1, 562000, 0.99), ('Freddie Freeloader', 1, 1, 586000, 0.99),
  ('Blue in Green', 1, 1, 337000, 0.99), ('Pharaoh''s Dance', 2, 1, 1204000, 1.29),
  ('Sinnerman', 3, 2, 622000, 0.99), ('Be My Husband', 3, 2, 139000, 0.99),
  ('Jóga', 4, 3, 305000, 1.29), ('Bachelorette', 4, 3, 312000, 1.29),
  ('Paranoid Android', 5, 4, 383000, 1.29), ('Karma Police', 5, 4, 264000, 1.29),
  ('Idioteque', 6, 3, 309000, 1.29), ('Everything in Its Right Place', 6, 3, 251000, 1.29);
