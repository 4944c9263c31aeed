-- role: user
-- query: mutation { insert_t0000(objects: [{name: "a", flag: true}], on_conflict: {constraint: t0000_pkey, update_columns: [name]}) { affected_rows } }

-- insert_t0000[0] result=true path=$.selectionSet.insert_t0000.args.objects raises=permission-error at $: check constraint of an insert/update permission has failed
WITH _w AS (INSERT INTO public.t0000 AS _t (name, flag, parent_id) VALUES ($2::text, $3::text::bool, $1::text::int4) ON CONFLICT ON CONSTRAINT t0000_pkey DO UPDATE SET name = EXCLUDED.name, flag = $4::text::bool WHERE _t.id = $5::text::int4 RETURNING *, (_t.xmax = 0) AS "strata.inserted") SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w)) WHERE (CASE WHEN EXISTS (SELECT 1 FROM _w AS _c1 WHERE NOT coalesce((CASE WHEN _c1."strata.inserted" THEN _c1.flag = $6::text::bool ELSE _c1.score >= $7::text::numeric END), false)) THEN current_setting('strata_raise.e0') ELSE '' END) = '';
-- $1 session="x-hasura-user-id"
-- $2 value="a"
-- $3 value="true"
-- $4 value="true"
-- $5 session="x-hasura-user-id"
-- $6 value="true"
-- $7 value="0"
