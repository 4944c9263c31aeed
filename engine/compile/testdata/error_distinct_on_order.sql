-- role: admin
-- query: { t0000(distinct_on: [name], order_by: {id: asc}) { id } }

-- error: validation-failed at $.selectionSet.t0000: "distinct_on" columns must match initial "order_by" columns
