package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Condition types shared by the kinds of this API group. Every condition
// carries the observedGeneration of the spec it was computed from.
const (
	// ConditionReady is True when the object is fully reconciled and serving:
	// for a GraphQLEngine, its Deployment is available; for a metadata kind
	// (Table, Permission, ...), it is part of the metadata the engine serves.
	ConditionReady = "Ready"
	// ConditionProgressing is True while a GraphQLEngine rollout is in progress.
	ConditionProgressing = "Progressing"
	// ConditionMetadataConsistent is True when the engine reports no
	// inconsistent metadata objects.
	ConditionMetadataConsistent = "MetadataConsistent"
)

// Condition reasons set by the operator. Reasons are CamelCase and stable:
// tooling may switch on them.
const (
	// ReasonDeploymentAvailable means the engine Deployment has minimum availability.
	ReasonDeploymentAvailable = "DeploymentAvailable"
	// ReasonDeploymentUnavailable means the engine Deployment lacks minimum availability.
	ReasonDeploymentUnavailable = "DeploymentUnavailable"
	// ReasonRollingOut means pods of the current template are still being rolled out.
	ReasonRollingOut = "RollingOut"
	// ReasonRolloutComplete means every replica runs the current pod template.
	ReasonRolloutComplete = "RolloutComplete"
	// ReasonProgressDeadlineExceeded means the Deployment stopped making progress.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonSecretNotFound means a Secret referenced by the spec does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonApplyFailed means an owned object could not be applied.
	ReasonApplyFailed = "ApplyFailed"

	// ReasonPublished means a metadata object is part of the metadata the
	// operator published for its engine (Ready=True).
	ReasonPublished = "Published"
	// ReasonConflict means another object of the same engine, created
	// earlier, already defines the same thing (the same table, or the same
	// table, role and action); the earlier one keeps serving.
	ReasonConflict = "Conflict"
	// ReasonEngineNotFound means the GraphQLEngine an object belongs to
	// does not exist.
	ReasonEngineNotFound = "EngineNotFound"
	// ReasonTableNotFound means the Table a Permission names does not exist.
	ReasonTableNotFound = "TableNotFound"
	// ReasonTableNotReady means the Table a Permission names is itself not
	// part of the published metadata (see the Table's Ready condition).
	ReasonTableNotReady = "TableNotReady"
	// ReasonInconsistent means the engine reported the object as
	// inconsistent with the database (e.g. a missing column) and left it
	// out of the schema it serves.
	ReasonInconsistent = "Inconsistent"
	// ReasonConsistent means the engine serves the published metadata
	// with no inconsistent object (MetadataConsistent=True).
	ReasonConsistent = "Consistent"
	// ReasonWaitingForEngine means the engine pods have not yet reported
	// serving the published metadata (MetadataConsistent=Unknown).
	ReasonWaitingForEngine = "WaitingForEngine"
	// ReasonObjectsRejected means the operator left some metadata objects
	// out of the published metadata (conflicts, missing tables).
	ReasonObjectsRejected = "ObjectsRejected"
	// ReasonPublishFailed means the metadata could not be published.
	ReasonPublishFailed = "PublishFailed"
	// ReasonMetadataPublished is the reason of the Event emitted when new
	// metadata is published.
	ReasonMetadataPublished = "MetadataPublished"
)

// EngineReference names the GraphQLEngine, in the same namespace, that an
// object belongs to. Every kind attached directly to an engine (Table, and
// later Action, RemoteSchema, ...) carries one as spec.engineRef.
type EngineReference struct {
	// Name of the GraphQLEngine in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
}

// SecretKeySelector selects one key of a Secret in the object's namespace.
type SecretKeySelector struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key within the Secret's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// QualifiedName names a PostgreSQL table, view or function by schema and name.
type QualifiedName struct {
	// Schema of the object.
	// +kubebuilder:default=public
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Schema string `json:"schema,omitempty"`
	// Name of the object within its schema.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
}

// ObjectStatus is the status of every metadata kind (Table, Permission and
// the kinds to come). The controller that publishes an engine's metadata sets
// Ready once the object is part of it, or False with the reason it is not.
type ObjectStatus struct {
	// ObservedGeneration is the most recent generation the operator processed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions describe the object's state; see ConditionReady.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// MetadataInconsistency is a metadata object an engine left out of the
// schema it serves because it does not match the database, as the engine's
// get_inconsistent_metadata reports it.
type MetadataInconsistency struct {
	// Type is the kind of object: table, object_relation, array_relation,
	// computed_field, select_permission, insert_permission, ...
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type"`
	// Table is the table the object is, or is attached to, when known.
	// +optional
	Table *QualifiedName `json:"table,omitempty"`
	// Name is the object's name within its table: the relationship or
	// computed field name, or the role of a permission. Empty for a table.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Name string `json:"name,omitempty"`
	// Reason says what is wrong, as the engine words it.
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`
}
