-- role: user
-- query: { t0000_aggregate { aggregate { count } } }

-- t0000_aggregate
SELECT (SELECT json_build_object('aggregate', json_build_object('count', count(*))) FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = $1::text::int4 LIMIT $2::text::integer) AS _t1) AS root;
-- $1 session="x-hasura-user-id"
-- $2 value="20"
