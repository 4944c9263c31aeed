-- role: user
-- query: mutation { insert_t0000_one(object: {name: "a", flag: true}) { id } }

-- insert_t0000_one[0] result=true path=$.selectionSet.insert_t0000_one.args.object raises=permission-error at $: check constraint of an insert/update permission has failed
WITH _w AS (INSERT INTO public.t0000 AS _t (name, flag, parent_id) VALUES ($2::text, $3::text::bool, $1::text::int4) RETURNING *) SELECT (SELECT json_build_object('id', _t1.id) FROM _w AS _t1 WHERE _t1.id = $4::text::int4 LIMIT 1) WHERE (CASE WHEN EXISTS (SELECT 1 FROM _w AS _c2 WHERE NOT coalesce(_c2.flag = $5::text::bool, false)) THEN current_setting('strata_raise.e0') ELSE '' END) = '';
-- $1 session="x-hasura-user-id"
-- $2 value="a"
-- $3 value="true"
-- $4 session="x-hasura-user-id"
-- $5 value="true"
