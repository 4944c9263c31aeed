-- role: admin
-- query: query($w: t0000_bool_exp) { t0000(where: $w) { id } }
-- variables: {"w": {"name": {"_eq": "a"}, "_or": [{"id": {"_gt": 1}}]}}

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE ((_t1.id > $1::text::int4) AND _t1.name = $2::text)) AS _t1) AS root;
-- $1 value="1"
-- $2 value="a"
