-- role: admin
-- query: mutation { insert_t0001(objects: [{name: "a", flag: true, parent_id: 1}]) { returning { id parent { id } } } }

-- insert_t0001[0] result=false path=$.selectionSet.insert_t0001.args.objects
WITH _w AS (INSERT INTO public.t0001 AS _t (name, flag, parent_id) VALUES ($1::text, $2::text::bool, $3::text::int4) RETURNING *) SELECT set_config('strata.w1', (SELECT coalesce(jsonb_agg(to_jsonb(_w)), '[]')::text FROM _w), true);
-- $1 value="a"
-- $2 value="true"
-- $3 value="1"

-- insert_t0001[1] result=true path=$.selectionSet.insert_t0001.args.objects
SELECT json_build_object('returning', (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'parent', _r3.j)), '[]') FROM jsonb_populate_recordset(NULL::public.t0001, current_setting('strata.w1')::jsonb) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t2.id) FROM (SELECT _t2.* FROM public.t0000 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) AS _t2) AS _r3(j) ON true));
