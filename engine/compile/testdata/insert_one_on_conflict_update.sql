-- role: admin
-- query: mutation { insert_t0000_one(object: {id: 1, name: "a", flag: true}, on_conflict: {constraint: t0000_pkey, update_columns: [name], where: {flag: {_eq: true}}}) { id } }

-- insert_t0000_one[0] result=true path=$.selectionSet.insert_t0000_one.args.object
WITH _w AS (INSERT INTO public.t0000 AS _t (id, name, flag) VALUES ($1::text::int4, $2::text, $3::text::bool) ON CONFLICT ON CONSTRAINT t0000_pkey DO UPDATE SET name = EXCLUDED.name WHERE _t.flag = $4::text::bool RETURNING *) SELECT (SELECT json_build_object('id', _t1.id) FROM _w AS _t1 LIMIT 1);
-- $1 value="1"
-- $2 value="a"
-- $3 value="true"
-- $4 value="true"
