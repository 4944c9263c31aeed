-- role: admin
-- query: { t0000(where: {id: {_eq: null}}) { id } }

-- error: validation-failed at $.selectionSet.t0000.where.id._eq: unexpected null value for type "Int"
