-- role: admin
-- query: { t0000(where: {_or: [{parent: {name: {_eq: "x"}}}, {children: {id: {_in: [1, 2]}}}], _not: {data: {_has_key: "k"}}}) { id } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE ((EXISTS (SELECT 1 FROM public.t0002 AS _t2 WHERE _t2.id = _t1.parent_id AND _t2.name = $1::text) OR EXISTS (SELECT 1 FROM public.t0001 AS _t3 WHERE _t3.parent_id = _t1.id AND _t3.id = ANY($2::text[]::int4[]))) AND (NOT _t1.data ? $3::text))) AS _t1) AS root;
-- $1 value="x"
-- $2 value=["1","2"]
-- $3 value="k"
