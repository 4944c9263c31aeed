package schema_test

import (
	"strings"
	"testing"
)

// inheritMetadata gives roles p1, p2 and p3 mutation permissions on
// author: p1 and p2 the same insert permission, p3 another; an update
// permission to p1 only; different delete permissions to p1 and p3.
const inheritMetadata = `{
  "version": 3,
  "sources": [{"name": "default", "kind": "postgres", "tables": [
    {"table": "author",
     "select_permissions": [{"role": "p2", "permission": {"columns": ["id"], "filter": {}}}],
     "insert_permissions": [
       {"role": "p1", "permission": {"columns": ["name", "rating"], "check": {"rating": {"_gt": 0}}}},
       {"role": "p2", "permission": {"columns": ["rating", "name"], "check": {"rating": {"_gt": 0}}}},
       {"role": "p3", "permission": {"columns": ["name"], "check": {"id": "X-Hasura-User-Id"}}},
       {"role": "own13", "permission": {"columns": ["name"], "check": {}}}],
     "update_permissions": [
       {"role": "p1", "permission": {"columns": ["name"], "filter": {"id": "X-Hasura-User-Id"}}}],
     "delete_permissions": [
       {"role": "p1", "permission": {"filter": {"id": "X-Hasura-User-Id"}}},
       {"role": "p3", "permission": {"filter": {}}}]}
  ]}],
  "inherited_roles": [
    {"role_name": "same12", "role_set": ["p1", "p2"]},
    {"role_name": "conflict13", "role_set": ["p1", "p3"]},
    {"role_name": "own13", "role_set": ["p1", "p3"]},
    {"role_name": "deep", "role_set": ["conflict13", "p2"]}
  ]
}`

// TestInheritedMutationPermissions: an inherited role inherits a mutation
// permission its parents that have one agree on, and a conflict is an
// inconsistency of the role and table until the role defines its own.
func TestInheritedMutationPermissions(t *testing.T) {
	s := buildFrom(t, permSQL, []byte(inheritMetadata))
	var got []string
	for _, inc := range s.Inconsistencies {
		got = append(got, inc.Kind+": "+inc.ObjectName()+": "+inc.Reason)
	}
	want := []string{
		"inherited role permission inconsistency: conflict13: Could not inherit permission for the role 'conflict13' for the entity: 'delete permission, table: author, source: 'default''",
		"inherited role permission inconsistency: conflict13: Could not inherit permission for the role 'conflict13' for the entity: 'insert permission, table: author, source: 'default''",
		"inherited role permission inconsistency: deep: Could not inherit permission for the role 'deep' for the entity: 'delete permission, table: author, source: 'default''",
		"inherited role permission inconsistency: deep: Could not inherit permission for the role 'deep' for the entity: 'insert permission, table: author, source: 'default''",
		"inherited role permission inconsistency: own13: Could not inherit permission for the role 'own13' for the entity: 'delete permission, table: author, source: 'default''",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("inconsistencies:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for role, fields := range map[string]string{
		// Equal insert permissions (column order aside), the update and
		// delete permissions of the only parent having one.
		"same12": "delete_author delete_author_by_pk insert_author insert_author_one update_author update_author_by_pk update_author_many",
		// Conflicting insert and delete permissions: only p1's update.
		"conflict13": "update_author update_author_many",
		// Its own insert permission resolves the insert conflict.
		"own13": "insert_author update_author update_author_many",
		// A parent's conflict is the child's; p2 adds the select permission.
		"deep": "update_author update_author_by_pk update_author_many",
	} {
		rs, err := s.ForRole(role)
		if err != nil {
			t.Fatal(err)
		}
		if rs.GraphQL.Mutation == nil {
			t.Errorf("%s: no mutation_root", role)
			continue
		}
		if got := fieldNames(rs.GraphQL.Mutation.Fields); got != fields {
			t.Errorf("%s mutation_root: %s\nwant %s", role, got, fields)
		}
	}
	same, _ := s.ForRole("same12")
	a := same.TablesByName[qt("public", "author")]
	if a.Insert == nil || string(a.Insert.Check) != `{"rating":{"_gt":0}}` || len(a.Insert.Columns) != 2 ||
		a.Update == nil || string(a.Update.Filter) != `{"id":{"_eq":"x-hasura-user-id"}}` || a.Delete == nil {
		t.Errorf("same12 author permissions: %+v %+v %+v", a.Insert, a.Update, a.Delete)
	}
}
