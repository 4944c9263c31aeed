-- role: admin
-- query: mutation($d: jsonb) { insert_t0000_one(object: {name: "a", flag: true, data: $d, tags: ["x", "y"]}) { id data tags } }
-- variables: {"d": {"k": [1, "two"]}}

-- insert_t0000_one[0] result=true path=$.selectionSet.insert_t0000_one.args.object
WITH _w AS (INSERT INTO public.t0000 AS _t (name, flag, data, tags) VALUES ($1::text, $2::text::bool, $3::text::jsonb, $4::text::text[]) RETURNING *) SELECT (SELECT json_build_object('id', _t1.id, 'data', _t1.data, 'tags', _t1.tags) FROM _w AS _t1 LIMIT 1);
-- $1 value="a"
-- $2 value="true"
-- $3 json=true var="d"
-- $4 value="{\"x\",\"y\"}"
