-- role: admin
-- query: mutation { update_t0000(where: {id: {_gt: 1}}, _set: {name: "n"}, _inc: {score: 1}) { affected_rows returning { id } } }

-- update_t0000[0] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET name = $2::text, score = _t.score + $3::text::numeric WHERE _t.id > $1::text::int4 RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w), 'returning', (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM _w AS _t1));
-- $1 value="1"
-- $2 value="n"
-- $3 value="1"
