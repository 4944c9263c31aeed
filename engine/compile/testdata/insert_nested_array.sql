-- role: admin
-- query: mutation { insert_t0000_one(object: {name: "p", flag: true, children: {data: [{name: "c1", flag: true}, {name: "c2", flag: false}]}}) { id children { id } } }

-- insert_t0000_one[0] result=false path=$.selectionSet.insert_t0000_one.args.object[0] raises=not-supported at $.selectionSet.insert_t0000_one.args.object[0]: cannot proceed to insert array relations since insert to table "t0000" affects zero rows
WITH _w AS (INSERT INTO public.t0000 AS _t (name, flag) VALUES ($1::text, $2::text::bool) RETURNING *) SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM _w) THEN current_setting('strata_raise.e0') ELSE set_config('strata.w1', (SELECT coalesce(jsonb_agg(to_jsonb(_w)), '[]')::text FROM _w), true) END;
-- $1 value="p"
-- $2 value="true"

-- insert_t0000_one[1] result=false path=$.selectionSet.insert_t0000_one.args.object[0].children.data
WITH _w AS (INSERT INTO public.t0001 AS _t (name, flag, parent_id) SELECT _u.c0::text, _u.c1::bool, (current_setting('strata.w1')::jsonb->0->>'id')::int4 FROM unnest($1::text[]::text[], $2::text[]::text[]) AS _u(c0, c1) RETURNING *) SELECT set_config('strata.w2', (SELECT coalesce(jsonb_agg(to_jsonb(_w)), '[]')::text FROM _w), true);
-- $1 value=["c1","c2"]
-- $2 value=["true","false"]

-- insert_t0000_one[2] result=true path=$.selectionSet.insert_t0000_one.args.object
SELECT (SELECT json_build_object('id', _t1.id, 'children', _r3.j) FROM jsonb_populate_recordset(NULL::public.t0000, current_setting('strata.w1')::jsonb) AS _t1 LEFT OUTER JOIN LATERAL (SELECT coalesce(json_agg(json_build_object('id', _t2.id)), '[]') FROM (SELECT _t2.* FROM public.t0001 AS _t2 WHERE _t2.parent_id = _t1.id) AS _t2) AS _r3(j) ON true LIMIT 1);
