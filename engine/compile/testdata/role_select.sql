-- role: user
-- query: { t0000(limit: 100) { id name label } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name, 'label', public.t0000_label(_t1))), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = $1::text::int4 LIMIT LEAST($2::text::integer, $3::text::integer)) AS _t1) AS root;
-- $1 session="x-hasura-user-id"
-- $2 value="100"
-- $3 value="20"
