-- role: admin
-- query: mutation { update_t0000(where: {}) { affected_rows } }

-- error: validation-failed at $.selectionSet.update_t0000.args: at least any one of _set, _inc, _prepend, _append, _delete_key, _delete_elem, _delete_at_path is expected
