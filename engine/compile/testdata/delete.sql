-- role: admin
-- query: mutation { delete_t0000(where: {id: {_eq: 1}}) { affected_rows returning { id } } }

-- delete_t0000[0] result=true path=$
WITH _w AS (DELETE FROM public.t0000 AS _t WHERE _t.id = $1::text::int4 RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w), 'returning', (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM _w AS _t1));
-- $1 value="1"
