-- role: admin
-- query: { t0000 { id score } t0000_aggregate { aggregate { sum { score id } max { score } } } }
-- options: {StringifyNumeric:true}

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'score', _t1.score::text)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1) AS _t1) AS root;

-- t0000_aggregate
SELECT (SELECT json_build_object('aggregate', json_build_object('sum', json_build_object('score', sum(_t2.score)::text, 'id', sum(_t2.id)::text), 'max', json_build_object('score', max(_t2.score)::text))) FROM (SELECT _t2.* FROM public.t0000 AS _t2) AS _t2) AS root;
