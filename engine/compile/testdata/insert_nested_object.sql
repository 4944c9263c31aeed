-- role: admin
-- query: mutation { insert_t0001_one(object: {name: "c", flag: true, parent: {data: {name: "p", flag: false}}}) { id parent { id } } }

-- insert_t0001_one[0] result=false path=$.selectionSet.insert_t0001_one.args.object[0].parent.data raises=not-supported at $.selectionSet.insert_t0001_one.args.object[0].parent.data: cannot proceed to insert object relation "parent" since insert to table "t0000" affects zero rows
WITH _w AS (INSERT INTO public.t0000 AS _t (name, flag) VALUES ($1::text, $2::text::bool) RETURNING *) SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM _w) THEN current_setting('strata_raise.e0') ELSE set_config('strata.w1', (SELECT coalesce(jsonb_agg(to_jsonb(_w)), '[]')::text FROM _w), true) END;
-- $1 value="p"
-- $2 value="false"

-- insert_t0001_one[1] result=false path=$.selectionSet.insert_t0001_one.args.object[0]
WITH _w AS (INSERT INTO public.t0001 AS _t (name, flag, parent_id) VALUES ($1::text, $2::text::bool, (current_setting('strata.w1')::jsonb->0->>'id')::int4) RETURNING *) SELECT set_config('strata.w2', (SELECT coalesce(jsonb_agg(to_jsonb(_w)), '[]')::text FROM _w), true);
-- $1 value="c"
-- $2 value="true"

-- insert_t0001_one[2] result=true path=$.selectionSet.insert_t0001_one.args.object
SELECT (SELECT json_build_object('id', _t1.id, 'parent', _r3.j) FROM jsonb_populate_recordset(NULL::public.t0001, current_setting('strata.w2')::jsonb) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t2.id) FROM (SELECT _t2.* FROM public.t0000 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) AS _t2) AS _r3(j) ON true LIMIT 1);
