-- role: user
-- query: subscription { t0000_aggregate(where: {flag: {_eq: true}}) { aggregate { count } } }
-- alias: t0000_aggregate stream: false cursor: [] batch: 0 max batch: 0 tables: [public.t0000]

SELECT (SELECT json_build_object('aggregate', json_build_object('count', count(*))) FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = $1::text::int4 AND _t1.flag = $2::text::bool LIMIT $3::text::integer) AS _t1) AS root;
-- $1 session="x-hasura-user-id"
-- $2 value="true"
-- $3 value="20"

-- multiplexed
SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (SELECT (SELECT json_build_object('aggregate', json_build_object('count', count(*))) FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = (_subs.v->'a'->>0)::text::int4 AND _t1.flag = (_subs.v->'a'->>1)::text::bool LIMIT (_subs.v->'a'->>2)::text::integer) AS _t1) AS root) AS _mx ON true ORDER BY _subs.i;
