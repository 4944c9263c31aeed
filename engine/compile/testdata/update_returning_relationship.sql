-- role: admin
-- query: mutation { update_t0000_by_pk(pk_columns: {id: 1}, _set: {name: "n"}) { id parent { id } } }

-- update_t0000_by_pk[0] result=false path=$
WITH _w AS (UPDATE public.t0000 AS _t SET name = $2::text WHERE _t.id = $1::text::int4 RETURNING _t.*) SELECT set_config('strata.w1', (SELECT coalesce(jsonb_agg(to_jsonb(_w)), '[]')::text FROM _w), true);
-- $1 value="1"
-- $2 value="n"

-- update_t0000_by_pk[1] result=true path=$
SELECT (SELECT json_build_object('id', _t1.id, 'parent', _r3.j) FROM jsonb_populate_recordset(NULL::public.t0000, current_setting('strata.w1')::jsonb) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t2.id) FROM (SELECT _t2.* FROM public.t0002 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) AS _t2) AS _r3(j) ON true LIMIT 1);
