package controllers

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore/cmformat"
)

// This file holds the pure builder of an engine's Hasura metadata from its
// GraphQLEngine, Tables and Permissions. The same objects, in any order,
// always give the same bytes.

// Verdict is what the operator concluded about one Table or Permission: its
// Ready condition.
type Verdict struct {
	// Ready is true when the object is part of the published metadata and
	// the engine did not report it inconsistent.
	Ready bool
	// Reason and Message are those of the Ready condition.
	Reason, Message string
}

// PermissionKey identifies what a Permission defines: one action for one
// role on one Table. Two Permissions with the same key conflict.
type PermissionKey struct {
	Table  string
	Role   string
	Action v1alpha1.PermissionAction
}

// MetadataBuild is the metadata of one engine and the verdict on each of
// its objects.
type MetadataBuild struct {
	// Metadata is the Hasura metadata (default source only).
	Metadata *metadata.Metadata
	// JSON is Metadata's deterministic encoding; Hash is its sha256, the
	// engine's metadataVersion.
	JSON []byte
	Hash string
	// Tables and Permissions map object names to verdicts.
	Tables      map[string]Verdict
	Permissions map[string]Verdict
	// TableByQualified maps "schema.name" of each published table to the
	// Table object defining it; PermissionByKey maps each published
	// permission to its Permission object. They route the engine's reports.
	TableByQualified map[string]string
	PermissionByKey  map[PermissionKey]string
	// PermissionsOfTable lists the published Permissions of each Table.
	PermissionsOfTable map[string][]string
	// Rejected counts Tables and Permissions left out.
	Rejected int
}

// byAge sorts objects oldest first (creationTimestamp, then name): the
// order in which conflicts are settled.
func byAge[T any](items []T, meta func(*T) (int64, string)) {
	sort.SliceStable(items, func(i, j int) bool {
		ti, ni := meta(&items[i])
		tj, nj := meta(&items[j])
		if ti != tj {
			return ti < tj
		}
		return ni < nj
	})
}

// qualifiedName renders a table as schema.name, defaulting the schema.
func qualifiedName(schema, name string) string {
	if schema == "" {
		schema = "public"
	}
	return schema + "." + name
}

// BuildMetadata builds the metadata of engine eng from the Tables that
// reference it and the Permissions that name those Tables (others are
// ignored). A later object defining the same table, or the same
// table/role/action, as an earlier one is rejected with reason Conflict; a
// Permission of a rejected Table with TableNotReady.
func BuildMetadata(eng *v1alpha1.GraphQLEngine, tables []v1alpha1.Table, perms []v1alpha1.Permission) *MetadataBuild {
	b := &MetadataBuild{
		Tables:             map[string]Verdict{},
		Permissions:        map[string]Verdict{},
		TableByQualified:   map[string]string{},
		PermissionByKey:    map[PermissionKey]string{},
		PermissionsOfTable: map[string][]string{},
	}
	tables = append([]v1alpha1.Table(nil), tables...)
	byAge(tables, func(t *v1alpha1.Table) (int64, string) { return t.CreationTimestamp.UnixNano(), t.Name })
	perms = append([]v1alpha1.Permission(nil), perms...)
	byAge(perms, func(p *v1alpha1.Permission) (int64, string) { return p.CreationTimestamp.UnixNano(), p.Name })

	published := fmt.Sprintf("part of the metadata of GraphQLEngine %s", eng.Name)
	md := metadata.Empty()
	src := &md.Sources[0]
	index := map[string]int{} // Table object -> index in src.Tables
	for i := range tables {
		t := &tables[i]
		if t.Spec.EngineRef.Name != eng.Name {
			continue
		}
		q := qualifiedName(t.Spec.Schema, t.Spec.Name)
		if first, ok := b.TableByQualified[q]; ok {
			b.Tables[t.Name] = Verdict{Reason: v1alpha1.ReasonConflict, Message: fmt.Sprintf(
				"table %s is already tracked in GraphQLEngine %s by Table %s, created earlier; delete one of them", q, eng.Name, first)}
			b.Rejected++
			continue
		}
		b.TableByQualified[q] = t.Name
		index[t.Name] = len(src.Tables)
		src.Tables = append(src.Tables, tableMetadata(&t.Spec))
		b.Tables[t.Name] = Verdict{Ready: true, Reason: v1alpha1.ReasonPublished, Message: published}
	}

	for i := range perms {
		p := &perms[i]
		tv, ok := b.Tables[p.Spec.Table]
		switch {
		case !ok:
			continue // not a Table of this engine
		case !tv.Ready:
			b.Permissions[p.Name] = Verdict{Reason: v1alpha1.ReasonTableNotReady, Message: fmt.Sprintf(
				"Table %s is not part of the metadata: %s", p.Spec.Table, tv.Message)}
			b.Rejected++
			continue
		}
		key := PermissionKey{Table: p.Spec.Table, Role: p.Spec.Role, Action: p.Spec.Action}
		if first, ok := b.PermissionByKey[key]; ok {
			b.Permissions[p.Name] = Verdict{Reason: v1alpha1.ReasonConflict, Message: fmt.Sprintf(
				"Permission %s, created earlier, already grants role %s %s on Table %s; delete one of them",
				first, p.Spec.Role, p.Spec.Action, p.Spec.Table)}
			b.Rejected++
			continue
		}
		b.PermissionByKey[key] = p.Name
		b.PermissionsOfTable[p.Spec.Table] = append(b.PermissionsOfTable[p.Spec.Table], p.Name)
		addPermission(&src.Tables[index[p.Spec.Table]], &p.Spec)
		b.Permissions[p.Name] = Verdict{Ready: true, Reason: v1alpha1.ReasonPublished, Message: published}
	}

	for _, r := range eng.Spec.InheritedRoles {
		md.InheritedRoles = append(md.InheritedRoles, metadata.InheritedRole{
			RoleName: r.RoleName, RoleSet: append([]string(nil), r.RoleSet...),
		})
	}
	// md.JSON() without its defensive deep copy (md is ours), which halves
	// the time of large builds; the bytes are the same.
	md.Normalize()
	doc, err := json.Marshal(md)
	if err != nil {
		panic(fmt.Sprintf("metadata builder: encode metadata: %v", err))
	}
	b.Metadata = md
	b.JSON = doc
	b.Hash = cmformat.DocumentHash(b.JSON)
	return b
}

// qualifiedTable turns an API table name into the metadata's.
func qualifiedTable(q v1alpha1.QualifiedName) metadata.QualifiedTable {
	s := q.Schema
	if s == "" {
		s = "public"
	}
	return metadata.QualifiedTable{Schema: s, Name: q.Name}
}

// comment returns a pointer to s, or nil when s is empty.
func comment(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mustUnmarshal decodes JSON built by this file; it cannot fail.
func mustUnmarshal(v any, into any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, into)
	}
	if err != nil {
		panic(fmt.Sprintf("metadata builder: %T: %v", into, err))
	}
}

// columnNames converts API column names.
func columnNames(cols []v1alpha1.ColumnName) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = string(c)
	}
	return out
}

// tableMetadata converts a TableSpec into a tracked table (without
// permissions).
func tableMetadata(s *v1alpha1.TableSpec) metadata.Table {
	t := metadata.Table{
		Table:  metadata.QualifiedTable{Schema: s.Schema, Name: s.Name},
		IsEnum: s.IsEnum,
	}
	if t.Table.Schema == "" {
		t.Table.Schema = "public"
	}
	if cfg := tableConfig(s); cfg != nil {
		t.Configuration = cfg
	}
	for _, r := range s.ObjectRelationships {
		rel := metadata.ObjectRelationship{Name: string(r.Name), Comment: comment(r.Comment)}
		if fk := r.ForeignKeyConstraintOn; fk != nil {
			rel.Using.ForeignKeyConstraintOn = &metadata.ObjectFKOn{}
			if len(fk.Columns) == 0 && fk.Table == nil {
				// The common case, built directly (it is hot with
				// thousands of tables): "foreign_key_constraint_on": "col".
				rel.Using.ForeignKeyConstraintOn.Columns = []string{string(fk.Column)}
			} else {
				mustUnmarshal(fkJSON(fk), rel.Using.ForeignKeyConstraintOn)
			}
		}
		if m := r.ManualConfiguration; m != nil {
			rel.Using.ManualConfiguration = manual(m)
		}
		t.ObjectRelationships = append(t.ObjectRelationships, rel)
	}
	for _, r := range s.ArrayRelationships {
		rel := metadata.ArrayRelationship{Name: string(r.Name), Comment: comment(r.Comment)}
		if fk := r.ForeignKeyConstraintOn; fk != nil {
			rel.Using.ForeignKeyConstraintOn = &metadata.RemoteFK{}
			if len(fk.Columns) == 0 && fk.Table != nil {
				// {"table": ..., "column": "col"}, built directly.
				rel.Using.ForeignKeyConstraintOn.Table = qualifiedTable(*fk.Table)
				rel.Using.ForeignKeyConstraintOn.Columns = []string{string(fk.Column)}
			} else {
				mustUnmarshal(fkJSON(fk), rel.Using.ForeignKeyConstraintOn)
			}
		}
		if m := r.ManualConfiguration; m != nil {
			rel.Using.ManualConfiguration = manual(m)
		}
		t.ArrayRelationships = append(t.ArrayRelationships, rel)
	}
	for _, c := range s.ComputedFields {
		t.ComputedFields = append(t.ComputedFields, metadata.ComputedField{
			Name: string(c.Name),
			Definition: metadata.ComputedFieldDefinition{
				Function:        qualifiedTable(c.Function),
				TableArgument:   c.TableArgument,
				SessionArgument: c.SessionArgument,
			},
			Comment: comment(c.Comment),
		})
	}
	return t
}

// fkJSON is a foreignKeyConstraintOn in Hasura's JSON forms: "col",
// ["a", "b"], {"table": ..., "column": "col"} or {"table": ..., "columns": [...]}.
func fkJSON(fk *v1alpha1.ForeignKeyConstraintOn) any {
	var cols any = string(fk.Column)
	key := "column"
	if len(fk.Columns) > 0 {
		cols, key = columnNames(fk.Columns), "columns"
	}
	if fk.Table == nil {
		return cols
	}
	return map[string]any{"table": qualifiedTable(*fk.Table), key: cols}
}

// manual converts a manual relationship configuration.
func manual(m *v1alpha1.ManualConfiguration) *metadata.ManualConfiguration {
	mapping := make(map[string]string, len(m.ColumnMapping))
	for k, v := range m.ColumnMapping {
		mapping[k] = v
	}
	return &metadata.ManualConfiguration{
		RemoteTable:    qualifiedTable(m.RemoteTable),
		ColumnMapping:  mapping,
		InsertionOrder: m.InsertionOrder,
	}
}

// tableConfig converts the GraphQL customisation, or returns nil if there is none.
func tableConfig(s *v1alpha1.TableSpec) *metadata.TableConfig {
	if s.CustomName == "" && s.CustomRootFields == nil && len(s.ColumnConfig) == 0 {
		return nil
	}
	cfg := &metadata.TableConfig{CustomName: s.CustomName}
	if r := s.CustomRootFields; r != nil {
		name := func(n v1alpha1.GraphQLName) *metadata.RootFieldName {
			if n == "" {
				return nil
			}
			return &metadata.RootFieldName{Name: string(n)}
		}
		cfg.CustomRootFields = &metadata.CustomRootFields{
			Select: name(r.Select), SelectByPk: name(r.SelectByPk), SelectAggregate: name(r.SelectAggregate),
			SelectStream: name(r.SelectStream), Insert: name(r.Insert), InsertOne: name(r.InsertOne),
			Update: name(r.Update), UpdateByPk: name(r.UpdateByPk), UpdateMany: name(r.UpdateMany),
			Delete: name(r.Delete), DeleteByPk: name(r.DeleteByPk),
		}
	}
	if len(s.ColumnConfig) > 0 {
		cfg.ColumnConfig = make(map[string]metadata.ColumnConfig, len(s.ColumnConfig))
		for col, c := range s.ColumnConfig {
			cfg.ColumnConfig[col] = metadata.ColumnConfig{CustomName: string(c.CustomName), Comment: comment(c.Comment)}
		}
	}
	return cfg
}

// boolExp returns the expression's JSON, {} when unset.
func boolExp(j *apiextensionsv1.JSON) metadata.BoolExp {
	if j == nil || len(j.Raw) == 0 {
		return metadata.BoolExp(`{}`)
	}
	return metadata.BoolExp(append([]byte(nil), j.Raw...))
}

// permColumns converts a column list; ["*"] is every column, and so is an
// unset list where allAbsent (insert permissions, as in Hasura).
func permColumns(cols []string, allAbsent bool) metadata.Columns {
	if (len(cols) == 1 && cols[0] == "*") || (cols == nil && allAbsent) {
		return metadata.Columns{All: true}
	}
	return metadata.Columns{Names: append([]string{}, cols...)}
}

// presets converts column presets.
func presets(set map[string]string) map[string]any {
	if len(set) == 0 {
		return nil
	}
	out := make(map[string]any, len(set))
	for k, v := range set {
		out[k] = v
	}
	return out
}

// addPermission adds a Permission to its table.
func addPermission(t *metadata.Table, p *v1alpha1.PermissionSpec) {
	filter, check := boolExp(p.Filter), boolExp(p.Check)
	switch p.Action {
	case v1alpha1.ActionSelect:
		def := metadata.SelectPermDef{
			Columns:                permColumns(p.Columns, false),
			ComputedFields:         append([]string(nil), p.ComputedFields...),
			Filter:                 filter,
			AllowAggregations:      p.AllowAggregations,
			QueryRootFields:        sortedCopy(p.QueryRootFields),
			SubscriptionRootFields: sortedCopy(p.SubscriptionRootFields),
		}
		if p.Limit != nil {
			l := int(*p.Limit)
			def.Limit = &l
		}
		t.SelectPermissions = append(t.SelectPermissions, metadata.SelectPermission{Role: p.Role, Permission: def, Comment: comment(p.Comment)})
	case v1alpha1.ActionInsert:
		t.InsertPermissions = append(t.InsertPermissions, metadata.InsertPermission{Role: p.Role, Comment: comment(p.Comment),
			Permission: metadata.InsertPermDef{Check: check, Set: presets(p.Set), Columns: permColumns(p.Columns, true), BackendOnly: p.BackendOnly}})
	case v1alpha1.ActionUpdate:
		def := metadata.UpdatePermDef{Columns: permColumns(p.Columns, false), Filter: filter, Set: presets(p.Set), BackendOnly: p.BackendOnly}
		if p.Check != nil {
			def.Check = check
		}
		t.UpdatePermissions = append(t.UpdatePermissions, metadata.UpdatePermission{Role: p.Role, Permission: def, Comment: comment(p.Comment)})
	case v1alpha1.ActionDelete:
		t.DeletePermissions = append(t.DeletePermissions, metadata.DeletePermission{Role: p.Role, Comment: comment(p.Comment),
			Permission: metadata.DeletePermDef{Filter: filter, BackendOnly: p.BackendOnly}})
	}
}

// sortedCopy returns a sorted copy of a set-like list, nil when empty.
func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// ApplyEngineReport refines the verdicts of b with what the engine pods
// reported in eng's status, if they report serving b's metadata: objects
// they left out become Ready=False with reason Inconsistent, and so do the
// Permissions of such Tables. It returns the verdicts and one line per
// object that is not served, for status.inconsistentObjects.
func ApplyEngineReport(b *MetadataBuild, st *v1alpha1.GraphQLEngineStatus) (tables, perms map[string]Verdict, notServed []string) {
	tables = make(map[string]Verdict, len(b.Tables))
	for k, v := range b.Tables {
		tables[k] = v
	}
	perms = make(map[string]Verdict, len(b.Permissions))
	for k, v := range b.Permissions {
		perms[k] = v
	}
	if st.ServedMetadataVersion == b.Hash {
		for _, inc := range st.EngineInconsistencies {
			applyInconsistency(b, inc, tables, perms)
		}
	}
	for _, kind := range []struct {
		kind string
		m    map[string]Verdict
	}{{"Table", tables}, {"Permission", perms}} {
		for name, v := range kind.m {
			if !v.Ready {
				notServed = append(notServed, fmt.Sprintf("%s %s: %s: %s", kind.kind, name, v.Reason, v.Message))
			}
		}
	}
	sort.Strings(notServed)
	return tables, perms, notServed
}

// applyInconsistency marks the object an engine inconsistency is about.
func applyInconsistency(b *MetadataBuild, inc v1alpha1.MetadataInconsistency, tables, perms map[string]Verdict) {
	if inc.Table == nil {
		return
	}
	table, ok := b.TableByQualified[qualifiedName(inc.Table.Schema, inc.Table.Name)]
	if !ok {
		return
	}
	mark := func(m map[string]Verdict, name, msg string) {
		v := m[name]
		if v.Ready || v.Reason == v1alpha1.ReasonInconsistent {
			if !v.Ready {
				msg = v.Message + "; " + msg
			}
			m[name] = Verdict{Reason: v1alpha1.ReasonInconsistent, Message: msg}
		}
	}
	const served = "the engine left it out of the schema it serves"
	if action, ok := strings.CutSuffix(inc.Type, "_permission"); ok {
		if p, ok := b.PermissionByKey[PermissionKey{Table: table, Role: inc.Name, Action: v1alpha1.PermissionAction(action)}]; ok {
			mark(perms, p, fmt.Sprintf("%s (%s)", inc.Reason, served))
		}
		return
	}
	msg := inc.Reason
	if inc.Type != "table" {
		msg = fmt.Sprintf("%s %s: %s", inc.Type, inc.Name, inc.Reason)
	}
	mark(tables, table, fmt.Sprintf("%s (%s)", msg, served))
	if inc.Type == "table" {
		for _, p := range b.PermissionsOfTable[table] {
			mark(perms, p, fmt.Sprintf("Table %s is inconsistent: %s", table, inc.Reason))
		}
	}
}
