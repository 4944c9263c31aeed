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
