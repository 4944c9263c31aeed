-- role: admin
-- query: query($v: Boolean = true) { t0000 { id @include(if: $v) } }
-- variables: {"v": null}

-- error: validation-failed at $: expected a boolean for argument 'if' of directive @include, but found null
