package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// TableSpec tracks one PostgreSQL table or view in an engine's metadata,
// with its GraphQL customisation, relationships and computed fields.
// +kubebuilder:validation:XValidation:rule="!has(self.objectRelationships) || !has(self.arrayRelationships) || self.objectRelationships.all(o, !self.arrayRelationships.exists(a, a.name == o.name))",message="relationship names must be unique across objectRelationships and arrayRelationships"
// +kubebuilder:validation:XValidation:rule="!has(self.computedFields) || ((!has(self.objectRelationships) || self.computedFields.all(c, !self.objectRelationships.exists(o, o.name == c.name))) && (!has(self.arrayRelationships) || self.computedFields.all(c, !self.arrayRelationships.exists(a, a.name == c.name))))",message="computed field names must not clash with relationship names"
type TableSpec struct {
	// EngineRef is the GraphQLEngine whose metadata tracks this table. It
	// cannot be changed: delete and recreate the Table to move it.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="engineRef is immutable"
	EngineRef EngineReference `json:"engineRef"`

	// Schema is the PostgreSQL schema of the table.
	// +kubebuilder:default=public
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Schema string `json:"schema,omitempty"`

	// Name of the table or view.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// CustomName is the GraphQL name of the table's type and the base of
	// its root field names.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[_a-zA-Z][_a-zA-Z0-9]*$`
	// +optional
	CustomName string `json:"customName,omitempty"`

	// CustomRootFields renames individual root fields.
	// +optional
	CustomRootFields *CustomRootFields `json:"customRootFields,omitempty"`

	// ColumnConfig customises columns, keyed by column name.
	// +kubebuilder:validation:MaxProperties=1600
	// +optional
	ColumnConfig map[string]ColumnConfig `json:"columnConfig,omitempty"`

	// IsEnum exposes the table as a GraphQL enum (Hasura's enum tables).
	// +optional
	IsEnum bool `json:"isEnum,omitempty"`

	// ObjectRelationships are many-to-one or one-to-one relationships.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	ObjectRelationships []ObjectRelationship `json:"objectRelationships,omitempty"`

	// ArrayRelationships are one-to-many relationships.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	ArrayRelationships []ArrayRelationship `json:"arrayRelationships,omitempty"`

	// ComputedFields expose SQL functions of a row as fields.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	ComputedFields []ComputedField `json:"computedFields,omitempty"`
}

// GraphQLName is a GraphQL identifier.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=128
// +kubebuilder:validation:Pattern=`^[_a-zA-Z][_a-zA-Z0-9]*$`
type GraphQLName string

// CustomRootFields renames a table's root fields; unset ones keep the
// default name. The names must be distinct.
// +kubebuilder:validation:XValidation:rule="[?self.?select, ?self.?selectByPk, ?self.?selectAggregate, ?self.?selectStream, ?self.?insert, ?self.?insertOne, ?self.?update, ?self.?updateByPk, ?self.?updateMany, ?self.?delete, ?self.?deleteByPk].all(n, [?self.?select, ?self.?selectByPk, ?self.?selectAggregate, ?self.?selectStream, ?self.?insert, ?self.?insertOne, ?self.?update, ?self.?updateByPk, ?self.?updateMany, ?self.?delete, ?self.?deleteByPk].exists_one(m, m == n))",message="customRootFields names must be distinct"
type CustomRootFields struct {
	// Select is the list query field.
	// +optional
	Select GraphQLName `json:"select,omitempty"`
	// SelectByPk is the primary-key query field.
	// +optional
	SelectByPk GraphQLName `json:"selectByPk,omitempty"`
	// SelectAggregate is the aggregate query field.
	// +optional
	SelectAggregate GraphQLName `json:"selectAggregate,omitempty"`
	// SelectStream is the streaming subscription field.
	// +optional
	SelectStream GraphQLName `json:"selectStream,omitempty"`
	// Insert is the bulk insert mutation.
	// +optional
	Insert GraphQLName `json:"insert,omitempty"`
	// InsertOne is the single-row insert mutation.
	// +optional
	InsertOne GraphQLName `json:"insertOne,omitempty"`
	// Update is the bulk update mutation.
	// +optional
	Update GraphQLName `json:"update,omitempty"`
	// UpdateByPk is the primary-key update mutation.
	// +optional
	UpdateByPk GraphQLName `json:"updateByPk,omitempty"`
	// UpdateMany is the multi-update mutation.
	// +optional
	UpdateMany GraphQLName `json:"updateMany,omitempty"`
	// Delete is the bulk delete mutation.
	// +optional
	Delete GraphQLName `json:"delete,omitempty"`
	// DeleteByPk is the primary-key delete mutation.
	// +optional
	DeleteByPk GraphQLName `json:"deleteByPk,omitempty"`
}

// ColumnConfig customises one column.
type ColumnConfig struct {
	// CustomName is the column's GraphQL field name.
	// +optional
	CustomName GraphQLName `json:"customName,omitempty"`
	// Comment is the field's GraphQL description.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comment string `json:"comment,omitempty"`
}

// ColumnName is a PostgreSQL column name.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
type ColumnName string

// ForeignKeyConstraintOn joins through a foreign key: either on columns of
// this table (column or columns, no table), or on columns of the remote
// table that reference this one (table plus column or columns).
// +kubebuilder:validation:XValidation:rule="has(self.column) != has(self.columns)",message="foreignKeyConstraintOn needs exactly one of column or columns"
type ForeignKeyConstraintOn struct {
	// Column is the single foreign-key column.
	// +optional
	Column ColumnName `json:"column,omitempty"`
	// Columns are the foreign-key columns of a composite key.
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Columns []ColumnName `json:"columns,omitempty"`
	// Table holds the foreign key when it is on the remote table. Array
	// relationships require it.
	// +optional
	Table *QualifiedName `json:"table,omitempty"`
}

// ManualConfiguration joins on an explicit column mapping, e.g. for views
// that have no foreign keys.
type ManualConfiguration struct {
	// RemoteTable is the table joined to.
	RemoteTable QualifiedName `json:"remoteTable"`
	// ColumnMapping maps this table's columns to the remote table's.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=32
	ColumnMapping map[string]string `json:"columnMapping"`
	// InsertionOrder says, for object relationships used in nested inserts,
	// whether the remote row is inserted before or after this one.
	// +kubebuilder:validation:Enum=before_parent;after_parent
	// +optional
	InsertionOrder string `json:"insertionOrder,omitempty"`
}

// ObjectRelationship is a many-to-one or one-to-one relationship.
// +kubebuilder:validation:XValidation:rule="has(self.foreignKeyConstraintOn) != has(self.manualConfiguration)",message="a relationship needs exactly one of foreignKeyConstraintOn or manualConfiguration"
type ObjectRelationship struct {
	// Name is the relationship's GraphQL field name.
	Name GraphQLName `json:"name"`
	// Comment is the field's GraphQL description.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comment string `json:"comment,omitempty"`
	// ForeignKeyConstraintOn joins through a foreign key.
	// +optional
	ForeignKeyConstraintOn *ForeignKeyConstraintOn `json:"foreignKeyConstraintOn,omitempty"`
	// ManualConfiguration joins on an explicit column mapping.
	// +optional
	ManualConfiguration *ManualConfiguration `json:"manualConfiguration,omitempty"`
}

// ArrayRelationship is a one-to-many relationship.
// +kubebuilder:validation:XValidation:rule="has(self.foreignKeyConstraintOn) != has(self.manualConfiguration)",message="a relationship needs exactly one of foreignKeyConstraintOn or manualConfiguration"
// +kubebuilder:validation:XValidation:rule="!has(self.foreignKeyConstraintOn) || has(self.foreignKeyConstraintOn.table)",message="an array relationship's foreignKeyConstraintOn needs the remote table"
// +kubebuilder:validation:XValidation:rule="!has(self.manualConfiguration) || !has(self.manualConfiguration.insertionOrder)",message="insertionOrder applies to object relationships only"
type ArrayRelationship struct {
	// Name is the relationship's GraphQL field name.
	Name GraphQLName `json:"name"`
	// Comment is the field's GraphQL description.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comment string `json:"comment,omitempty"`
	// ForeignKeyConstraintOn joins through a foreign key on the remote table.
	// +optional
	ForeignKeyConstraintOn *ForeignKeyConstraintOn `json:"foreignKeyConstraintOn,omitempty"`
	// ManualConfiguration joins on an explicit column mapping.
	// +optional
	ManualConfiguration *ManualConfiguration `json:"manualConfiguration,omitempty"`
}

// ComputedField exposes a SQL function of the table row as a field.
// +kubebuilder:validation:XValidation:rule="!has(self.tableArgument) || !has(self.sessionArgument) || self.tableArgument != self.sessionArgument",message="tableArgument and sessionArgument must differ"
type ComputedField struct {
	// Name is the field's GraphQL name.
	Name GraphQLName `json:"name"`
	// Function is the SQL function computing the field.
	Function QualifiedName `json:"function"`
	// TableArgument names the function argument receiving the row; by
	// default the first argument.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	TableArgument string `json:"tableArgument,omitempty"`
	// SessionArgument names the function argument receiving the session
	// variables as JSON.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	SessionArgument string `json:"sessionArgument,omitempty"`
	// Comment is the field's GraphQL description.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comment string `json:"comment,omitempty"`
}

// Table tracks a PostgreSQL table or view in a GraphQLEngine's metadata.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gqltable,categories=strata
// +kubebuilder:printcolumn:name="Engine",type=string,JSONPath=`.spec.engineRef.name`
// +kubebuilder:printcolumn:name="Schema",type=string,JSONPath=`.spec.schema`
// +kubebuilder:printcolumn:name="Table",type=string,JSONPath=`.spec.name`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Table struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec TableSpec `json:"spec"`
	// Status is the observed state.
	// +optional
	Status ObjectStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions.
func (t *Table) GetConditions() []metav1.Condition { return t.Status.Conditions }

// SetConditions replaces the status conditions.
func (t *Table) SetConditions(c []metav1.Condition) { t.Status.Conditions = c }

// GetEngineRef returns the engine the table belongs to.
func (t *Table) GetEngineRef() EngineReference { return t.Spec.EngineRef }

// +kubebuilder:object:root=true

// TableList is a list of Tables.
type TableList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Tables.
	Items []Table `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Table{}, &TableList{})
}
