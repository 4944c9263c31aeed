-- role: admin
-- query: { t0001 { id parent { id name } } }

-- t0001
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'parent', _r3.j)), '[]') FROM (SELECT _t1.* FROM public.t0001 AS _t1) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t2.id, 'name', _t2.name) FROM (SELECT _t2.* FROM public.t0000 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) AS _t2) AS _r3(j) ON true) AS root;
