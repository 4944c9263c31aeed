-- Permission fuzz fixture: organisations, their projects and tasks.
CREATE TABLE org (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE project (
  id int PRIMARY KEY, org_id int NOT NULL REFERENCES org(id),
  name text NOT NULL, secret text, budget numeric
);
CREATE TABLE task (
  id int PRIMARY KEY, project_id int NOT NULL REFERENCES project(id),
  owner_id int NOT NULL, title text NOT NULL, done boolean NOT NULL, points int
);
INSERT INTO org SELECT i, 'org ' || i FROM generate_series(1, 3) i;
INSERT INTO project
  SELECT i, 1 + i % 3, 'project ' || i, 'secret-' || md5(i::text), (i * 37 % 100) * 10.5
  FROM generate_series(1, 12) i;
INSERT INTO task
  SELECT i, 1 + (i * 7) % 12, 1 + (i * 5) % 6, 'task ' || i || CASE WHEN i % 4 = 0 THEN ' urgent' ELSE '' END,
         i % 3 = 0, CASE WHEN i % 5 = 0 THEN NULL ELSE i % 13 END
  FROM generate_series(1, 150) i;
