-- role: admin
-- query: mutation { insert_t0000(objects: [{id: 1, name: "a", flag: true}], on_conflict: {constraint: t0000_pkey, update_columns: []}) { affected_rows } }

-- insert_t0000[0] result=true path=$.selectionSet.insert_t0000.args.objects
WITH _w AS (INSERT INTO public.t0000 AS _t (id, name, flag) VALUES ($1::text::int4, $2::text, $3::text::bool) ON CONFLICT ON CONSTRAINT t0000_pkey DO NOTHING RETURNING *) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value="1"
-- $2 value="a"
-- $3 value="true"
