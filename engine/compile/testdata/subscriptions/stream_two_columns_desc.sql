-- role: admin
-- query: subscription($at: timestamptz) { t0001_stream(batch_size: 10, cursor: [{initial_value: {created_at: $at}, ordering: DESC}, {initial_value: {id: 1}, ordering: ASC}], where: {flag: {_eq: true}}) { id parent { id } } }
-- variables: {"at": "2030-01-01T00:00:00Z"}
-- alias: t0001_stream stream: true cursor: [1 2] batch: 0 max batch: 0 tables: [public.t0000 public.t0001]

SELECT json_build_object('rows', coalesce(json_agg(json_build_object('id', _t1.id, 'parent', _r3.j) ORDER BY _t1.created_at DESC, _t1.id ASC), '[]'), 'cursor', (array_agg(json_build_array(_t1.created_at::text, _t1.id::text) ORDER BY _t1.created_at ASC, _t1.id DESC))[1]) AS root FROM (SELECT _t1.* FROM public.t0001 AS _t1 WHERE _t1.flag = $4::text::bool AND ((_t1.created_at < $2::text::timestamptz) OR (_t1.created_at = $2::text::timestamptz AND _t1.id > $3::text::int4)) ORDER BY _t1.created_at DESC, _t1.id ASC LIMIT $1::text::integer) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t2.id) FROM (SELECT _t2.* FROM public.t0000 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) AS _t2) AS _r3(j) ON true;
-- $1 value="10"
-- $2 var="at"
-- $3 value="1"
-- $4 value="true"

-- multiplexed
SELECT _subs.i, _mx.root FROM json_array_elements($1::json) WITH ORDINALITY AS _subs(v, i) LEFT OUTER JOIN LATERAL (SELECT json_build_object('rows', coalesce(json_agg(json_build_object('id', _t1.id, 'parent', _r3.j) ORDER BY _t1.created_at DESC, _t1.id ASC), '[]'), 'cursor', (array_agg(json_build_array(_t1.created_at::text, _t1.id::text) ORDER BY _t1.created_at ASC, _t1.id DESC))[1]) AS root FROM (SELECT _t1.* FROM public.t0001 AS _t1 WHERE _t1.flag = (_subs.v->'a'->>3)::text::bool AND ((_t1.created_at < (_subs.v->'a'->>1)::text::timestamptz) OR (_t1.created_at = (_subs.v->'a'->>1)::text::timestamptz AND _t1.id > (_subs.v->'a'->>2)::text::int4)) ORDER BY _t1.created_at DESC, _t1.id ASC LIMIT (_subs.v->'a'->>0)::text::integer) AS _t1 LEFT OUTER JOIN LATERAL (SELECT json_build_object('id', _t2.id) FROM (SELECT _t2.* FROM public.t0000 AS _t2 WHERE _t2.id = _t1.parent_id LIMIT 1) AS _t2) AS _r3(j) ON true) AS _mx ON true ORDER BY _subs.i;
