-- role: admin
-- query: { t0000_aggregate(where: {flag: {_eq: true}}) { aggregate { count(columns: [id], distinct: true) sum { score } max { created_at } avg { id } } nodes { id } } }

-- t0000_aggregate
SELECT (SELECT json_build_object('aggregate', json_build_object('count', count(DISTINCT _t1.id), 'sum', json_build_object('score', sum(_t1.score)), 'max', json_build_object('created_at', max(_t1.created_at)), 'avg', json_build_object('id', avg(_t1.id))), 'nodes', coalesce(json_agg(json_build_object('id', _t1.id)), '[]')) FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.flag = $1::text::bool) AS _t1) AS root;
-- $1 value="true"
