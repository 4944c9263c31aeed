-- role: admin
-- query: { __typename t0000(limit: 1) { __typename id } }

-- __typename: __typename query_root

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('__typename', 't0000', 'id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 LIMIT $1::text::integer) AS _t1) AS root;
-- $1 value="1"
