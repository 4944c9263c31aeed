-- role: admin
-- query: { t0000(limit: 1) { parent { parent { id } children { id } } } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('parent', _r7.j)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 LIMIT $1::text::integer) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('parent', _r4.j, 'children', _r6.j) FROM (SELECT _t2.* FROM public.t0002 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) AS _t2 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t3.id) FROM (SELECT _t3.* FROM public.t0001 AS _t3 WHERE _t3.id = _t2.parent_id LIMIT 1) AS _t3) AS _r4(j) ON true LEFT OUTER JOIN LATERAL (SELECT coalesce(json_agg(json_build_object('id', _t5.id)), '[]') FROM (SELECT _t5.* FROM public.t0000 AS _t5 WHERE _t5.parent_id = _t2.id) AS _t5) AS _r6(j) ON true) AS _r7(j) ON true) AS root;
-- $1 value="1"
