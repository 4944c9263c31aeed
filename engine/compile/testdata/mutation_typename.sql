-- role: admin
-- query: mutation { __typename delete_t0000_by_pk(id: 1) { __typename } }

-- __typename: __typename mutation_root

-- delete_t0000_by_pk[0] result=true path=$
WITH _w AS (DELETE FROM public.t0000 AS _t WHERE _t.id = $1::text::int4 RETURNING _t.*) SELECT (SELECT json_build_object('__typename', 't0000') FROM _w AS _t1 LIMIT 1);
-- $1 value="1"
