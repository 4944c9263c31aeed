-- role: admin
-- query: { t0000(where: {name: {_ilike: "%a%"}, score: {_gt: 1}}, order_by: [{created_at: desc}, {id: asc}], limit: 10, offset: 5) { id name } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE (_t1.name ILIKE $1::text AND _t1.score > $2::text::numeric) ORDER BY _t1.created_at DESC NULLS FIRST, _t1.id ASC NULLS LAST LIMIT $3::text::integer OFFSET $4::text::bigint) AS _t1) AS root;
-- $1 value="%a%"
-- $2 value="1"
-- $3 value="10"
-- $4 value="5"
