-- role: admin
-- query: { t0000(where: {children_aggregate: {count: {predicate: {_gt: 2}, filter: {flag: {_eq: true}}, arguments: [id], distinct: true}}}) { id } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE (SELECT count(DISTINCT _t2.id) FROM public.t0001 AS _t2 WHERE _t2.parent_id = _t1.id AND _t2.flag = $1::text::bool) > $2::text::int8) AS _t1) AS root;
-- $1 value="true"
-- $2 value="2"
