-- role: admin
-- query: { t0000 { id children_aggregate(where: {score: {_is_null: false}}) { aggregate { count min { score } } } } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'children_aggregate', _r3.j)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'min', json_build_object('score', min(_t2.score)))) FROM (SELECT _t2.* FROM public.t0001 AS _t2 WHERE _t2.parent_id = _t1.id AND _t2.score IS NOT NULL) AS _t2) AS _r3(j) ON true) AS root;
