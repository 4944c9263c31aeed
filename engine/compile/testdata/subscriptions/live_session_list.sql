-- role: user
-- query: subscription { t0002 { id } }
-- alias: t0002 stream: false cursor: [] batch: 0 max batch: 0 tables: [public.t0002]

SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0002 AS _t1 WHERE (_t1.flag = $1::text::bool OR _t1.id = ANY($2::text::int4[]))) AS _t1) AS root;
-- $1 value="true"
-- $2 list=true session="x-hasura-allowed-ids"

-- multiplexed
SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0002 AS _t1 WHERE (_t1.flag = (_subs.v->'a'->>0)::text::bool OR _t1.id = ANY((_subs.v->'a'->>1)::text::int4[]))) AS _t1) AS root) AS _mx ON true ORDER BY _subs.i;
