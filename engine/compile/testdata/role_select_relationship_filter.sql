-- role: user
-- query: { t0001 { id parent { id } } }

-- t0001
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'parent', _r4.j)), '[]') FROM (SELECT _t1.* FROM public.t0001 AS _t1 WHERE EXISTS (SELECT 1 FROM public.t0000 AS _t2 WHERE _t2.id = _t1.parent_id AND _t2.id = $1::text::int4)) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t3.id) FROM (SELECT _t3.* FROM public.t0000 AS _t3 WHERE _t3.id = _t1.parent_id AND _t3.id = $2::text::int4 LIMIT 1) AS _t3) AS _r4(j) ON true) AS root;
-- $1 session="x-hasura-user-id"
-- $2 session="x-hasura-user-id"
