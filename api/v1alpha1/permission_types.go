package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PermissionAction is the operation a Permission grants.
// +kubebuilder:validation:Enum=select;insert;update;delete
type PermissionAction string

// The actions a Permission can grant.
const (
	ActionSelect PermissionAction = "select"
	ActionInsert PermissionAction = "insert"
	ActionUpdate PermissionAction = "update"
	ActionDelete PermissionAction = "delete"
)

// PermissionSpec grants one role one action on one Table, the way Hasura's
// select/insert/update/delete permissions do. Fields that the action does
// not use are rejected.
// +kubebuilder:validation:XValidation:rule="!has(self.check) || self.action in ['insert', 'update']",message="check applies to insert and update permissions only"
// +kubebuilder:validation:XValidation:rule="!has(self.filter) || self.action != 'insert'",message="filter does not apply to insert permissions; use check"
// +kubebuilder:validation:XValidation:rule="!has(self.set) || self.action in ['insert', 'update']",message="set applies to insert and update permissions only"
// +kubebuilder:validation:XValidation:rule="!has(self.columns) || self.action != 'delete'",message="columns do not apply to delete permissions"
// +kubebuilder:validation:XValidation:rule="has(self.columns) || !(self.action in ['select', 'update'])",message="columns are required for select and update permissions"
// +kubebuilder:validation:XValidation:rule="!has(self.limit) || self.action == 'select'",message="limit applies to select permissions only"
// +kubebuilder:validation:XValidation:rule="!has(self.allowAggregations) || !self.allowAggregations || self.action == 'select'",message="allowAggregations applies to select permissions only"
// +kubebuilder:validation:XValidation:rule="!has(self.computedFields) || self.action == 'select'",message="computedFields applies to select permissions only"
// +kubebuilder:validation:XValidation:rule="!has(self.queryRootFields) || self.action == 'select'",message="queryRootFields applies to select permissions only"
// +kubebuilder:validation:XValidation:rule="!has(self.subscriptionRootFields) || self.action == 'select'",message="subscriptionRootFields applies to select permissions only"
// +kubebuilder:validation:XValidation:rule="!has(self.backendOnly) || !self.backendOnly || self.action != 'select'",message="backendOnly does not apply to select permissions"
type PermissionSpec struct {
	// Table is the name of the Table, in the same namespace, the permission
	// applies to; the engine is the Table's. It cannot be changed.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="table is immutable"
	Table string `json:"table"`

	// Role is the role granted the permission. The admin role has every
	// permission and cannot be given one.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self != 'admin'",message="the admin role has every permission implicitly; it cannot be given one"
	Role string `json:"role"`

	// Action is the operation granted.
	Action PermissionAction `json:"action"`

	// Columns the role may read (select), write (insert, update); ["*"]
	// means every column.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.all(c, self.exists_one(d, d == c))",message="columns must not contain duplicates"
	// +kubebuilder:validation:XValidation:rule="!('*' in self) || self.size() == 1",message="columns: \"*\" (all columns) cannot be combined with column names"
	// +optional
	Columns []string `json:"columns,omitempty"`

	// Filter is the boolean expression rows must satisfy to be selected,
	// updated or deleted; {} or unset allows every row.
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Filter *apiextensionsv1.JSON `json:"filter,omitempty"`

	// Check is the boolean expression inserted or updated rows must satisfy.
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Check *apiextensionsv1.JSON `json:"check,omitempty"`

	// Set presets columns on insert or update: a value, or a session
	// variable such as X-Hasura-User-Id.
	// +kubebuilder:validation:MaxProperties=256
	// +optional
	Set map[string]string `json:"set,omitempty"`

	// Limit caps the rows a select returns.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Limit *int32 `json:"limit,omitempty"`

	// AllowAggregations exposes the aggregate query field.
	// +optional
	AllowAggregations bool `json:"allowAggregations,omitempty"`

	// ComputedFields the role may read.
	// +listType=set
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=128
	// +optional
	ComputedFields []string `json:"computedFields,omitempty"`

	// BackendOnly restricts the mutation to requests with admin credentials
	// and the x-hasura-use-backend-only-permissions header.
	// +optional
	BackendOnly bool `json:"backendOnly,omitempty"`

	// QueryRootFields restricts which query root fields are exposed; unset
	// exposes all.
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:Enum=select;select_by_pk;select_aggregate
	// +optional
	QueryRootFields []string `json:"queryRootFields,omitempty"`

	// SubscriptionRootFields restricts which subscription root fields are
	// exposed; unset exposes all.
	// +listType=set
	// +kubebuilder:validation:MaxItems=4
	// +kubebuilder:validation:items:Enum=select;select_by_pk;select_aggregate;select_stream
	// +optional
	SubscriptionRootFields []string `json:"subscriptionRootFields,omitempty"`

	// Comment describes the permission.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comment string `json:"comment,omitempty"`
}

// Permission grants a role select, insert, update or delete on a Table.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gqlperm,categories=strata
// +kubebuilder:printcolumn:name="Table",type=string,JSONPath=`.spec.table`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Action",type=string,JSONPath=`.spec.action`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Permission struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec PermissionSpec `json:"spec"`
	// Status is the observed state.
	// +optional
	Status ObjectStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions.
func (p *Permission) GetConditions() []metav1.Condition { return p.Status.Conditions }

// SetConditions replaces the status conditions.
func (p *Permission) SetConditions(c []metav1.Condition) { p.Status.Conditions = c }

// +kubebuilder:object:root=true

// PermissionList is a list of Permissions.
type PermissionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Permissions.
	Items []Permission `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Permission{}, &PermissionList{})
}
