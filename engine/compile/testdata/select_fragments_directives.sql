-- role: admin
-- query: query($show: Boolean!) { t0000 { ...F name @include(if: $show) ... on t0000 { id flag } } } fragment F on t0000 { id score }
-- variables: {"show": false}

-- t0000
SELECT (SELECT coalesce(json_agg(json_build_object('id', _t1.id, 'score', _t1.score, 'flag', _t1.flag)), '[]') FROM (SELECT _t1.* FROM public.t0000 AS _t1) AS _t1) AS root;
