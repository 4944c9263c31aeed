-- role: user
-- query: subscription { one: t0000_by_pk(id: 3) { id name } }
-- alias: one stream: false cursor: [] batch: 0 max batch: 0 tables: [public.t0000]

SELECT (SELECT json_build_object('id', _t1.id, 'name', _t1.name) FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = $1::text::int4 AND _t1.id = $2::text::int4) AS _t1) AS root;
-- $1 value="3"
-- $2 session="x-hasura-user-id"

-- multiplexed
SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (SELECT (SELECT json_build_object('id', _t1.id, 'name', _t1.name) FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = (_subs.v->'a'->>0)::text::int4 AND _t1.id = (_subs.v->'a'->>1)::text::int4) AS _t1) AS root) AS _mx ON true ORDER BY _subs.i;
