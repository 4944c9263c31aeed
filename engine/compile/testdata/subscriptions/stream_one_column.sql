-- role: user
-- query: subscription { t0000_stream(batch_size: 2, cursor: {initial_value: {id: 0}}) { id name } }
-- alias: t0000_stream stream: true cursor: [2] batch: 1 max batch: 20 tables: [public.t0000]

SELECT json_build_object('rows', coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name) ORDER BY _t1.id ASC), '[]'), 'cursor', (array_agg(json_build_array(_t1.id::text) ORDER BY _t1.id DESC))[1]) AS root FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = $1::text::int4 AND ((_t1.id > $3::text::int4)) ORDER BY _t1.id ASC LIMIT LEAST($2::text::integer, $4::text::integer)) AS _t1;
-- $1 session="x-hasura-user-id"
-- $2 value="2"
-- $3 value="0"
-- $4 value="20"

-- multiplexed
SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (SELECT json_build_object('rows', coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name) ORDER BY _t1.id ASC), '[]'), 'cursor', (array_agg(json_build_array(_t1.id::text) ORDER BY _t1.id DESC))[1]) AS root FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = (_subs.v->'a'->>0)::text::int4 AND ((_t1.id > (_subs.v->'a'->>2)::text::int4)) ORDER BY _t1.id ASC LIMIT LEAST((_subs.v->'a'->>1)::text::integer, (_subs.v->'a'->>3)::text::integer)) AS _t1) AS _mx ON true ORDER BY _subs.i;
