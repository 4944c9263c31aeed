// Package metadata is Hasura's metadata model (format version 3) as pure Go
// types: sources, tracked tables, relationships, computed fields, permissions
// and the top-level objects (actions, remote schemas, ...). It decodes and
// encodes JSON and YAML deterministically and does no I/O.
package metadata

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Version is the metadata format version Strata reads and writes.
const Version = 3

// DefaultSource is the name of the source configured by HASURA_GRAPHQL_DATABASE_URL.
const DefaultSource = "default"

// Metadata is a whole metadata document, as export_metadata returns it.
// Top-level objects Strata does not serve yet are kept verbatim in their raw
// form so that replace_metadata followed by export_metadata round-trips.
type Metadata struct {
	Version          int             `json:"version"`
	Sources          []Source        `json:"sources"`
	RemoteSchemas    json.RawMessage `json:"remote_schemas,omitempty"`
	QueryCollections json.RawMessage `json:"query_collections,omitempty"`
	Allowlist        json.RawMessage `json:"allowlist,omitempty"`
	Actions          json.RawMessage `json:"actions,omitempty"`
	CustomTypes      json.RawMessage `json:"custom_types,omitempty"`
	CronTriggers     json.RawMessage `json:"cron_triggers,omitempty"`
	RESTEndpoints    json.RawMessage `json:"rest_endpoints,omitempty"`
	APILimits        json.RawMessage `json:"api_limits,omitempty"`
	Network          json.RawMessage `json:"network,omitempty"`
	BackendConfigs   json.RawMessage `json:"backend_configs,omitempty"`
	OpenTelemetry    json.RawMessage `json:"opentelemetry,omitempty"`
	InheritedRoles   []InheritedRole `json:"inherited_roles,omitempty"`
	// Extra holds any other top-level key, kept verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

// Source is one database and what of it is tracked.
type Source struct {
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Tables        []Table         `json:"tables"`
	Functions     json.RawMessage `json:"functions,omitempty"`
	Configuration json.RawMessage `json:"configuration,omitempty"`
	Customization json.RawMessage `json:"customization,omitempty"`
}

// QualifiedTable names a table or view: {"schema": ..., "name": ...}. A bare
// JSON string is accepted as a table in schema public, as Hasura does.
type QualifiedTable struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (q *QualifiedTable) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*q = QualifiedTable{Schema: "public", Name: s}
		return nil
	}
	type plain QualifiedTable
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("expected a table name or an object with schema and name")
	}
	if p.Schema == "" {
		p.Schema = "public"
	}
	if p.Name == "" {
		return fmt.Errorf(`key "name" not found`)
	}
	*q = QualifiedTable(p)
	return nil
}

// String renders the table as schema.name, the way Hasura's messages do.
func (q QualifiedTable) String() string { return q.Schema + "." + q.Name }

// Display renders the table as Hasura's messages do: the bare name in
// schema public, schema.name elsewhere.
func (q QualifiedTable) Display() string {
	if q.Schema == "public" || q.Schema == "" {
		return q.Name
	}
	return q.Schema + "." + q.Name
}

// Less orders tables by schema, then name.
func (q QualifiedTable) Less(o QualifiedTable) bool {
	if q.Schema != o.Schema {
		return q.Schema < o.Schema
	}
	return q.Name < o.Name
}

// Table is a tracked table with everything attached to it.
type Table struct {
	Table               QualifiedTable       `json:"table"`
	IsEnum              bool                 `json:"is_enum,omitempty"`
	Configuration       *TableConfig         `json:"configuration,omitempty"`
	ObjectRelationships []ObjectRelationship `json:"object_relationships,omitempty"`
	ArrayRelationships  []ArrayRelationship  `json:"array_relationships,omitempty"`
	ComputedFields      []ComputedField      `json:"computed_fields,omitempty"`
	RemoteRelationships json.RawMessage      `json:"remote_relationships,omitempty"`
	InsertPermissions   []InsertPermission   `json:"insert_permissions,omitempty"`
	SelectPermissions   []SelectPermission   `json:"select_permissions,omitempty"`
	UpdatePermissions   []UpdatePermission   `json:"update_permissions,omitempty"`
	DeletePermissions   []DeletePermission   `json:"delete_permissions,omitempty"`
	EventTriggers       []json.RawMessage    `json:"event_triggers,omitempty"`
}

// TableConfig is a table's `configuration`: GraphQL names and comments.
type TableConfig struct {
	CustomName        string                  `json:"custom_name,omitempty"`
	CustomRootFields  *CustomRootFields       `json:"custom_root_fields,omitempty"`
	ColumnConfig      map[string]ColumnConfig `json:"column_config,omitempty"`
	CustomColumnNames map[string]string       `json:"custom_column_names,omitempty"`
	Comment           *string                 `json:"comment,omitempty"`
}

// ColumnConfig customises one column.
type ColumnConfig struct {
	CustomName string  `json:"custom_name,omitempty"`
	Comment    *string `json:"comment,omitempty"`
}

// CustomRootFields renames a table's root fields. Each value is a name or
// {"name": ..., "comment": ...}.
type CustomRootFields struct {
	Select          *RootFieldName `json:"select,omitempty"`
	SelectByPk      *RootFieldName `json:"select_by_pk,omitempty"`
	SelectAggregate *RootFieldName `json:"select_aggregate,omitempty"`
	SelectStream    *RootFieldName `json:"select_stream,omitempty"`
	Insert          *RootFieldName `json:"insert,omitempty"`
	InsertOne       *RootFieldName `json:"insert_one,omitempty"`
	Update          *RootFieldName `json:"update,omitempty"`
	UpdateByPk      *RootFieldName `json:"update_by_pk,omitempty"`
	UpdateMany      *RootFieldName `json:"update_many,omitempty"`
	Delete          *RootFieldName `json:"delete,omitempty"`
	DeleteByPk      *RootFieldName `json:"delete_by_pk,omitempty"`
}

// RootFieldName is a custom root field name with an optional comment.
type RootFieldName struct {
	Name    string  `json:"name,omitempty"`
	Comment *string `json:"comment,omitempty"`
}

// UnmarshalJSON accepts a bare string or an object.
func (r *RootFieldName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = RootFieldName{Name: s}
		return nil
	}
	type plain RootFieldName
	return json.Unmarshal(b, (*plain)(r))
}

// MarshalJSON writes a bare string when there is no comment, as Hasura does.
func (r RootFieldName) MarshalJSON() ([]byte, error) {
	if r.Comment == nil {
		return json.Marshal(r.Name)
	}
	type plain RootFieldName
	return json.Marshal(plain(r))
}

// ObjectRelationship is a many-to-one or one-to-one relationship.
type ObjectRelationship struct {
	Name    string         `json:"name"`
	Using   ObjectRelUsing `json:"using"`
	Comment *string        `json:"comment,omitempty"`
}

// ObjectRelUsing says how an object relationship joins: through a foreign key
// (on this table's columns, or on the remote table pointing back) or manually.
type ObjectRelUsing struct {
	ForeignKeyConstraintOn *ObjectFKOn          `json:"foreign_key_constraint_on,omitempty"`
	ManualConfiguration    *ManualConfiguration `json:"manual_configuration,omitempty"`
}

// ObjectFKOn is the `foreign_key_constraint_on` of an object relationship:
// a column, a list of columns, or {"table": ..., "column(s)": ...} for a
// foreign key on the remote table that references this one.
type ObjectFKOn struct {
	Columns []string
	// Table is set for the remote-table form.
	Table *QualifiedTable
	// listForm remembers how Columns was written so that export round-trips.
	listForm bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *ObjectFKOn) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*o = ObjectFKOn{Columns: []string{s}}
		return nil
	}
	var list []string
	if json.Unmarshal(b, &list) == nil {
		*o = ObjectFKOn{Columns: list, listForm: true}
		return nil
	}
	var r RemoteFK
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("foreign_key_constraint_on: expected a column, a list of columns or an object with table and column(s)")
	}
	*o = ObjectFKOn{Columns: r.Columns, Table: &r.Table, listForm: r.listForm}
	return nil
}

// MarshalJSON writes the same form that was read.
func (o ObjectFKOn) MarshalJSON() ([]byte, error) {
	if o.Table != nil {
		return json.Marshal(RemoteFK{Table: *o.Table, Columns: o.Columns, listForm: o.listForm})
	}
	if len(o.Columns) == 1 && !o.listForm {
		return json.Marshal(o.Columns[0])
	}
	return json.Marshal(o.Columns)
}

// ArrayRelationship is a one-to-many relationship.
type ArrayRelationship struct {
	Name    string        `json:"name"`
	Using   ArrayRelUsing `json:"using"`
	Comment *string       `json:"comment,omitempty"`
}

// ArrayRelUsing says how an array relationship joins.
type ArrayRelUsing struct {
	ForeignKeyConstraintOn *RemoteFK            `json:"foreign_key_constraint_on,omitempty"`
	ManualConfiguration    *ManualConfiguration `json:"manual_configuration,omitempty"`
}

// RemoteFK names a foreign key on another table that references this one:
// {"table": ..., "column": "x"} or {"table": ..., "columns": ["x", "y"]}.
type RemoteFK struct {
	Table    QualifiedTable
	Columns  []string
	listForm bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *RemoteFK) UnmarshalJSON(b []byte) error {
	var raw struct {
		Table   *QualifiedTable `json:"table"`
		Column  *string         `json:"column"`
		Columns []string        `json:"columns"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("foreign_key_constraint_on: expected an object with table and column(s)")
	}
	if raw.Table == nil {
		return fmt.Errorf(`foreign_key_constraint_on: key "table" not found`)
	}
	switch {
	case raw.Column != nil && raw.Columns != nil:
		return fmt.Errorf(`foreign_key_constraint_on: "column" and "columns" are exclusive`)
	case raw.Column != nil:
		*r = RemoteFK{Table: *raw.Table, Columns: []string{*raw.Column}}
	case len(raw.Columns) > 0:
		*r = RemoteFK{Table: *raw.Table, Columns: raw.Columns, listForm: true}
	default:
		return fmt.Errorf(`foreign_key_constraint_on: key "column" or "columns" not found`)
	}
	return nil
}

// MarshalJSON writes the same form that was read.
func (r RemoteFK) MarshalJSON() ([]byte, error) {
	if len(r.Columns) == 1 && !r.listForm {
		return json.Marshal(struct {
			Column string         `json:"column"`
			Table  QualifiedTable `json:"table"`
		}{r.Columns[0], r.Table})
	}
	return json.Marshal(struct {
		Columns []string       `json:"columns"`
		Table   QualifiedTable `json:"table"`
	}{r.Columns, r.Table})
}

// ManualConfiguration joins on an explicit column mapping (this table's
// column -> remote table's column), e.g. for views without foreign keys.
type ManualConfiguration struct {
	RemoteTable    QualifiedTable    `json:"remote_table"`
	ColumnMapping  map[string]string `json:"column_mapping"`
	InsertionOrder string            `json:"insertion_order,omitempty"`
}

// ComputedField exposes a SQL function of the table row as a field.
type ComputedField struct {
	Name       string                  `json:"name"`
	Definition ComputedFieldDefinition `json:"definition"`
	Comment    *string                 `json:"comment,omitempty"`
}

// ComputedFieldDefinition names the function and how the row (and
// optionally the session) are passed to it.
type ComputedFieldDefinition struct {
	Function        QualifiedTable `json:"function"`
	TableArgument   string         `json:"table_argument,omitempty"`
	SessionArgument string         `json:"session_argument,omitempty"`
}

// Columns is a permission's column list: a list of names, or "*" for all.
type Columns struct {
	All   bool
	Names []string
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Columns) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "*" {
			return fmt.Errorf(`columns: expected "*" or a list of column names`)
		}
		*c = Columns{All: true}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf(`columns: expected "*" or a list of column names`)
	}
	*c = Columns{Names: list}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (c Columns) MarshalJSON() ([]byte, error) {
	if c.All {
		return []byte(`"*"`), nil
	}
	if c.Names == nil {
		return []byte(`[]`), nil
	}
	return json.Marshal(c.Names)
}

// BoolExp is a boolean expression (a permission filter or check) kept as the
// JSON the user wrote; the schema package interprets it.
type BoolExp = json.RawMessage

// SelectPermission is one role's select permission on a table.
type SelectPermission struct {
	Role       string        `json:"role"`
	Permission SelectPermDef `json:"permission"`
	Comment    *string       `json:"comment,omitempty"`
}

// SelectPermDef is the body of a select permission.
type SelectPermDef struct {
	Columns                Columns  `json:"columns"`
	ComputedFields         []string `json:"computed_fields,omitempty"`
	Filter                 BoolExp  `json:"filter"`
	Limit                  *int     `json:"limit,omitempty"`
	AllowAggregations      bool     `json:"allow_aggregations,omitempty"`
	QueryRootFields        []string `json:"query_root_fields,omitzero"`
	SubscriptionRootFields []string `json:"subscription_root_fields,omitzero"`
}

// InsertPermission is one role's insert permission on a table.
type InsertPermission struct {
	Role       string        `json:"role"`
	Permission InsertPermDef `json:"permission"`
	Comment    *string       `json:"comment,omitempty"`
}

// InsertPermDef is the body of an insert permission.
type InsertPermDef struct {
	Check       BoolExp         `json:"check"`
	Set         map[string]any  `json:"set,omitempty"`
	Columns     Columns         `json:"columns"`
	BackendOnly bool            `json:"backend_only,omitempty"`
	Validate    json.RawMessage `json:"validate_input,omitempty"`
}

// UpdatePermission is one role's update permission on a table.
type UpdatePermission struct {
	Role       string        `json:"role"`
	Permission UpdatePermDef `json:"permission"`
	Comment    *string       `json:"comment,omitempty"`
}

// UpdatePermDef is the body of an update permission.
type UpdatePermDef struct {
	Columns     Columns         `json:"columns"`
	Filter      BoolExp         `json:"filter"`
	Check       BoolExp         `json:"check,omitempty"`
	Set         map[string]any  `json:"set,omitempty"`
	BackendOnly bool            `json:"backend_only,omitempty"`
	Validate    json.RawMessage `json:"validate_input,omitempty"`
}

// DeletePermission is one role's delete permission on a table.
type DeletePermission struct {
	Role       string        `json:"role"`
	Permission DeletePermDef `json:"permission"`
	Comment    *string       `json:"comment,omitempty"`
}

// DeletePermDef is the body of a delete permission.
type DeletePermDef struct {
	Filter      BoolExp         `json:"filter"`
	BackendOnly bool            `json:"backend_only,omitempty"`
	Validate    json.RawMessage `json:"validate_input,omitempty"`
}

// InheritedRole is a role made of the union of other roles' permissions.
type InheritedRole struct {
	RoleName string   `json:"role_name"`
	RoleSet  []string `json:"role_set"`
}

// Empty returns metadata with the default source and nothing tracked.
func Empty() *Metadata {
	return &Metadata{Version: Version, Sources: []Source{DefaultSourceDef()}}
}

// DefaultSourceDef is the `default` source reading HASURA_GRAPHQL_DATABASE_URL.
func DefaultSourceDef() Source {
	return Source{
		Name:          DefaultSource,
		Kind:          "postgres",
		Tables:        []Table{},
		Configuration: json.RawMessage(`{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"},"isolation_level":"read-committed","pool_settings":{"connection_lifetime":600,"idle_timeout":180,"max_connections":50,"retries":1},"use_prepared_statements":true}}`),
	}
}

// Source returns the named source, or nil.
func (m *Metadata) Source(name string) *Source {
	for i := range m.Sources {
		if m.Sources[i].Name == name {
			return &m.Sources[i]
		}
	}
	return nil
}

// Table returns the tracked table, or nil.
func (s *Source) Table(q QualifiedTable) *Table {
	for i := range s.Tables {
		if s.Tables[i].Table == q {
			return &s.Tables[i]
		}
	}
	return nil
}

// Normalize sorts everything whose order carries no meaning (tables,
// relationships, computed fields, permissions) so that output is deterministic.
func (m *Metadata) Normalize() {
	if m.Version == 0 {
		m.Version = Version
	}
	sort.SliceStable(m.Sources, func(i, j int) bool { return m.Sources[i].Name < m.Sources[j].Name })
	for si := range m.Sources {
		s := &m.Sources[si]
		if s.Tables == nil {
			s.Tables = []Table{}
		}
		sort.SliceStable(s.Tables, func(i, j int) bool { return s.Tables[i].Table.Less(s.Tables[j].Table) })
		for ti := range s.Tables {
			t := &s.Tables[ti]
			sort.SliceStable(t.ObjectRelationships, func(i, j int) bool { return t.ObjectRelationships[i].Name < t.ObjectRelationships[j].Name })
			sort.SliceStable(t.ArrayRelationships, func(i, j int) bool { return t.ArrayRelationships[i].Name < t.ArrayRelationships[j].Name })
			sort.SliceStable(t.ComputedFields, func(i, j int) bool { return t.ComputedFields[i].Name < t.ComputedFields[j].Name })
			sort.SliceStable(t.SelectPermissions, func(i, j int) bool { return t.SelectPermissions[i].Role < t.SelectPermissions[j].Role })
			sort.SliceStable(t.InsertPermissions, func(i, j int) bool { return t.InsertPermissions[i].Role < t.InsertPermissions[j].Role })
			sort.SliceStable(t.UpdatePermissions, func(i, j int) bool { return t.UpdatePermissions[i].Role < t.UpdatePermissions[j].Role })
			sort.SliceStable(t.DeletePermissions, func(i, j int) bool { return t.DeletePermissions[i].Role < t.DeletePermissions[j].Role })
		}
	}
	sort.SliceStable(m.InheritedRoles, func(i, j int) bool { return m.InheritedRoles[i].RoleName < m.InheritedRoles[j].RoleName })
}

// knownKeys are the top-level keys with a field in Metadata.
var knownKeys = map[string]bool{}

func init() {
	for _, k := range strings.Fields("version sources remote_schemas query_collections allowlist actions custom_types cron_triggers rest_endpoints api_limits network backend_configs opentelemetry inherited_roles") {
		knownKeys[k] = true
	}
}
