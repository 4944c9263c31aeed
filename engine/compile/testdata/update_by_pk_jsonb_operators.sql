-- role: admin
-- query: mutation { update_t0000_by_pk(pk_columns: {id: 1}, _set: {name: "n"}, _append: {data: {a: 1}}) { id } }

-- update_t0000_by_pk[0] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET name = $2::text, data = _t.data || $3::text::jsonb WHERE _t.id = $1::text::int4 RETURNING _t.*) SELECT (SELECT json_build_object('id', _t1.id) FROM _w AS _t1 LIMIT 1);
-- $1 value="1"
-- $2 value="n"
-- $3 value="{\"a\":1}"
