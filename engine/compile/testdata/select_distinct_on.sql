-- role: admin
-- query: { t0000(distinct_on: [name], order_by: [{name: asc}, {id: desc}]) { id name } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name)), '[]') FROM (SELECT DISTINCT ON (_t1.name) _t1.* FROM public.t0000 AS _t1 ORDER BY _t1.name ASC NULLS LAST, _t1.id DESC NULLS FIRST) AS _t1) AS root;
