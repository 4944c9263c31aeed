-- role: admin
-- query: { t0000(where: {data: {_contains: {a: 1}, _has_keys_all: ["a", "b"], _cast: {String: {_like: "%x%"}}}}) { id } }

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE (_t1.data @> $1::text::jsonb AND _t1.data ?& $2::text[]::text[] AND (_t1.data)::text LIKE $3::text)) AS _t1) AS root;
-- $1 value="{\"a\":1}"
-- $2 value=["a","b"]
-- $3 value="%x%"
