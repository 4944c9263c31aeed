-- role: admin
-- query: { t0000(distinct_on: [flag, name]) { id } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT DISTINCT ON (_t1.flag, _t1.name) _t1.* FROM public.t0000 AS _t1 ORDER BY _t1.flag, _t1.name) AS _t1) AS root;
