-- role: admin
-- query: { t0000 { id children(where: {flag: {_eq: true}}, order_by: {id: asc}, limit: 3) { id name } } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'children', _r3.j)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1) AS _t1 LEFT OUTER JOIN LATERAL (SELECT coalesce(json_agg(json_build_object('id', _t2.id, 'name', _t2.name)), '[]') FROM (SELECT _t2.* FROM public.t0001 AS _t2 WHERE _t2.parent_id = _t1.id AND _t2.flag = $1::text::bool ORDER BY _t2.id ASC NULLS LAST LIMIT $2::text::integer) AS _t2) AS _r3(j) ON true) AS root;
-- $1 value="true"
-- $2 value="3"
