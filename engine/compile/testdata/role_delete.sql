-- role: user
-- query: mutation { delete_t0000(where: {}) { affected_rows } }

-- delete_t0000[0] result=true path=$
WITH _w AS (DELETE FROM public.t0000 AS _t WHERE (true) AND EXISTS (SELECT 1 FROM public.t0002 AS _t1 WHERE _t1.name = $1::text::text) RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 session="x-hasura-role"
