-- role: admin
-- query: { t0000_by_pk(id: 1) { id name } }

-- t0000_by_pk
SELECT (SELECT json_build_object('id', _t1.id, 'name', _t1.name) FROM (SELECT _t1.* FROM public.t0000 AS _t1 WHERE _t1.id = $1::text::int4) AS _t1) AS root;
-- $1 value="1"
