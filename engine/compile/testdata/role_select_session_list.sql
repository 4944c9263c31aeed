-- role: user
-- query: { t0002 { id children { id } } }

-- t0002
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'children', _r3.j)), '[]') FROM (SELECT _t1.* FROM public.t0002 AS _t1 WHERE (_t1.flag = $1::text::bool OR _t1.id = ANY($2::text::int4[]))) AS _t1 LEFT OUTER JOIN LATERAL (SELECT coalesce(json_agg(json_build_object('id', _t2.id)), '[]') FROM (SELECT _t2.* FROM public.t0000 AS _t2 WHERE _t2.parent_id = _t1.id AND _t2.id = $3::text::int4 LIMIT $4::text::integer) AS _t2) AS _r3(j) ON true) AS root;
-- $1 value="true"
-- $2 list=true session="x-hasura-allowed-ids"
-- $3 session="x-hasura-user-id"
-- $4 value="20"
