-- role: admin
-- query: mutation { insert_t0000(objects: [{name: "a", flag: true}, {name: "b", flag: false, score: 2}]) { affected_rows } }

-- insert_t0000[0] result=true path=$.selectionSet.insert_t0000.args.objects
WITH _w AS (INSERT INTO public.t0000 AS _t (name, flag, score) VALUES ($1::text, $2::text::bool, DEFAULT), ($3::text, $4::text::bool, $5::text::numeric) RETURNING *) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value="a"
-- $2 value="true"
-- $3 value="b"
-- $4 value="false"
-- $5 value="2"
