-- role: user
-- query: subscription($n: Int) { t0000(order_by: {id: asc}, limit: $n) { id name label } }
-- variables: {"n": 5}
-- alias: t0000 stream: false cursor: [] batch: 0 max batch: 0 tables: [public.t0000]

SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name, 'label', public.t0000_label(_t1))), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = $1::text::int4 ORDER BY _t1.id ASC NULLS LAST LIMIT LEAST($2::text::integer, $3::text::integer)) AS _t1) AS root;
-- $1 session="x-hasura-user-id"
-- $2 var="n"
-- $3 value="20"

-- multiplexed
SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name, 'label', public.t0000_label(_t1))), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = (_subs.v->'a'->>0)::text::int4 ORDER BY _t1.id ASC NULLS LAST LIMIT LEAST((_subs.v->'a'->>1)::text::integer, (_subs.v->'a'->>2)::text::integer)) AS _t1) AS root) AS _mx ON true ORDER BY _subs.i;
