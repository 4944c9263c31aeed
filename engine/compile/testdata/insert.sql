-- role: admin
-- query: mutation { insert_t0000(objects: [{name: "a", flag: true}, {name: "b", flag: false}]) { affected_rows returning { id name } } }

-- insert_t0000[0] result=true path=$.selectionSet.insert_t0000.args.objects
WITH _w AS (INSERT INTO public.t0000 AS _t (name, flag) SELECT _u.c0::text, _u.c1::bool FROM unnest($1::text[]::text[], $2::text[]::text[]) AS _u(c0, c1) RETURNING *) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w), 'returning', (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'name', _t1.name)), '[]') FROM _w AS _t1));
-- $1 value=["a","b"]
-- $2 value=["true","false"]
