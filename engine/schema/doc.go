// Package schema resolves metadata against the database catalogue into a
// typed model of what is served (tables, columns, relationships, root
// fields, with their GraphQL names) and generates the Hasura-shaped GraphQL
// schema for it. It is pure: metadata + catalogue in, schema out.
//
// # Roles
//
// Build returns the admin schema. (*Schema).ForRole derives, once per role
// and lazily, the schema a role sees: copies of the admin tables it may
// select with only its columns, computed fields, relationships to tables
// it may select, <rel>_aggregate fields and root fields as its select
// permission allows, and a GraphQL schema generated from that model by the
// same generator, so that validation rejects and introspection omits
// everything else. Inherited roles are the union of their parents (see
// SelectPermission). Permissions that do not fit the database are reported
// as select_permission, insert_permission, ... inconsistencies at Build
// and left out; ValidateBoolExp is the check of their boolean expressions.
//
// # How the compiler enforces a role's Select
//
// Every table of a role schema has Select set (nil only on the admin
// schema). The role schema's model already hides what the role may not
// use: walking Table.FieldsByName, Relationships and QueryRoot of the role
// schema, an unknown name is a field the role does not have. What the
// model cannot hide, the compiler adds to the SQL:
//
//   - Filter is ANDed to every selection of rows of the table, whatever
//     reaches them: root fields (t, t_by_pk, t_aggregate, t_stream, and
//     subscriptions), object and array relationships, <rel>_aggregate,
//     set-returning computed fields returning the table, and the
//     subqueries a where, order_by or aggregation predicate
//     (<rel>_aggregate in a bool_exp) makes into it. Rows outside the
//     filter must not influence results: not in counts, not in an
//     ordering by an object relationship's column, not in EXISTS.
//     Filter is written against the admin model (Schema.Admin): resolve
//     its columns, relationships and _exists tables there, not in the
//     role's restricted copy, and apply no further permission inside it.
//     Its values may name session variables (lower-cased "x-hasura-*");
//     bind them as parameters, never splice them into SQL text. A
//     missing session variable is an error, not NULL. "$" in a column
//     comparison (["$", "col"]) is the row of the table the permission
//     belongs to.
//   - Limit caps every selection of the table's rows (root and nested
//     lists, and the rows an aggregate reads): the effective limit is
//     min(user limit, Limit), or Limit when the user gives none.
//   - AllowAggregations is already reflected in the model (no
//     t_aggregate, no <rel>_aggregate field, order_by entry or bool_exp
//     entry without it); the compiler need not check it again.
//   - ColumnFilters (inherited roles only) null a column's value on rows
//     outside its filter: read the column as
//     CASE WHEN <filter> THEN col ELSE NULL END wherever the role reads
//     its value — in selections, aggregates (sum, max, ... and count of
//     columns), distinct_on, order_by, where and cursor comparisons — so
//     that a hidden cell can neither be seen nor tested.
//
// Insert, update and delete permissions are validated at Build too; the
// consistent ones are kept, normalised, on the admin schema for the role
// schemas' mutation fields. An inherited role inherits a mutation
// permission when its parents that have one agree (a conflict is an
// "inherited role permission inconsistency"). A table the role may write
// but not select is in its schema as a write-only copy: no fields, no
// query root fields, a Select filter no row passes, and mutation fields
// answering affected_rows only (CanReturn is false).
package schema
