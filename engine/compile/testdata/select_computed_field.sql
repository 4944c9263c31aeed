-- role: admin
-- query: { t0000 { id label label_x: label(args: {prefix: "x"}) } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'label', public.t0000_label(_t1), 'label_x', public.t0000_label(_t1, prefix => $1::text))), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1) AS _t1) AS root;
-- $1 value="x"
