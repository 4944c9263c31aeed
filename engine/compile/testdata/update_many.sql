-- role: admin
-- query: mutation { update_t0000_many(updates: [{where: {id: {_eq: 1}}, _set: {name: "a"}}, {where: {id: {_eq: 2}}, _inc: {score: 2}}]) { affected_rows } }

-- update_t0000_many[0] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET name = $2::text WHERE _t.id = $1::text::int4 RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value="1"
-- $2 value="a"

-- update_t0000_many[1] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET score = _t.score + $2::text::numeric WHERE _t.id = $1::text::int4 RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value="2"
-- $2 value="2"
