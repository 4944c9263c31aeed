-- role: admin
-- query: mutation { a: update_t0000(where: {}, _delete_key: {data: "k"}) { affected_rows } b: update_t0000(where: {}, _delete_elem: {data: 1}) { affected_rows } c: update_t0000(where: {}, _delete_at_path: {data: ["a", "b"]}) { affected_rows } d: update_t0000(where: {}, _prepend: {data: [1]}) { affected_rows } }

-- a[0] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET data = _t.data - $1::text WHERE true RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value="k"

-- b[0] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET data = _t.data - $1::text::integer WHERE true RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value="1"

-- c[0] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET data = _t.data #- $1::text[]::text[] WHERE true RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value=["a","b"]

-- d[0] result=true path=$
WITH _w AS (UPDATE public.t0000 AS _t SET data = $1::text::jsonb || _t.data WHERE true RETURNING _t.*) SELECT json_build_object('affected_rows', (SELECT count(*) FROM _w));
-- $1 value="[1]"
