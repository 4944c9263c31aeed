-- role: admin
-- query: query($id: Int!, $names: [String!], $n: Int) { t0000(where: {id: {_eq: $id}, name: {_in: $names}}, limit: $n) { id } }
-- variables: {"id": 1, "names": ["a", "b"], "n": 3}

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE (_t1.id = $1::text::int4 AND _t1.name = ANY($2::text[]::text[])) LIMIT $3::text::integer) AS _t1) AS root;
-- $1 var="id"
-- $2 list=true var="names"
-- $3 var="n"
