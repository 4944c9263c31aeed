-- role: admin
-- query: { t0000(order_by: [{parent: {name: asc}}, {children_aggregate: {count: desc}}, {children_aggregate: {max: {score: asc_nulls_first}}}]) { id } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 ORDER BY (SELECT _t2.name FROM public.t0002 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) ASC NULLS LAST, (SELECT count(*) FROM public.t0001 AS _t3 WHERE _t3.parent_id = _t1.id) DESC NULLS FIRST, (SELECT max(_t4.score) FROM public.t0001 AS _t4 WHERE _t4.parent_id = _t1.id) ASC NULLS FIRST) AS _t1) AS root;
