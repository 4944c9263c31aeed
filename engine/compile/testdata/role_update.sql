-- role: user
-- query: mutation { update_t0000(where: {name: {_eq: "a"}}, _set: {name: "b"}) { affected_rows returning { id } } }

-- update_t0000[0] result=true path=$ raises=permission-error at $: check constraint of an insert/update permission has failed
WITH _w AS (UPDATE public.t0000 AS _t SET name = $2::text, flag = $3::text::bool WHERE (_t.name = $1::text) AND _t.id = $4::text::int4 RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w), 'returning', (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM _w AS _t1 WHERE _t1.id = $5::text::int4)) WHERE (CASE WHEN EXISTS (SELECT 1 FROM _w AS _c2 WHERE NOT coalesce(_c2.score >= $6::text::numeric, false)) THEN current_setting('strata_raise.e0') ELSE '' END) = '';
-- $1 value="a"
-- $2 value="b"
-- $3 value="true"
-- $4 session="x-hasura-user-id"
-- $5 session="x-hasura-user-id"
-- $6 value="0"
