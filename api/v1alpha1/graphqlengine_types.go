package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GraphQLEngineSpec is the desired state of a GraphQL engine: the database it
// serves, how it runs, and how it authenticates requests.
type GraphQLEngineSpec struct {
	// DatabaseURLSecretRef selects the Secret key holding the PostgreSQL URL
	// of the default source (HASURA_GRAPHQL_DATABASE_URL).
	DatabaseURLSecretRef SecretKeySelector `json:"databaseURLSecretRef"`

	// Replicas is the number of engine pods. A PodDisruptionBudget is created
	// when it is greater than one.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Image is the engine container image. It defaults to the operator's
	// --engine-image.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Image string `json:"image,omitempty"`

	// Resources are the compute resources of the engine container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector constrains the engine pods to nodes with these labels.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the engine pods.
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the engine pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// Service configures the Service in front of the engine.
	// +kubebuilder:default={}
	// +optional
	Service ServiceSpec `json:"service,omitempty"`

	// Auth configures how requests are authenticated. Without an admin
	// secret every request is treated as admin, which is only fit for
	// development.
	// +optional
	Auth *AuthSpec `json:"auth,omitempty"`

	// InheritedRoles are roles made of the union of other roles' permissions.
	// +listType=map
	// +listMapKey=roleName
	// +kubebuilder:validation:MaxItems=128
	// +optional
	InheritedRoles []InheritedRole `json:"inheritedRoles,omitempty"`

	// Settings are engine behaviour switches.
	// +kubebuilder:default={}
	// +optional
	Settings EngineSettings `json:"settings,omitempty"`
}

// ServiceSpec configures the engine's Service.
type ServiceSpec struct {
	// Type of the Service.
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +kubebuilder:default=ClusterIP
	// +optional
	Type corev1.ServiceType `json:"type,omitempty"`
	// Port the Service exposes; it forwards to the engine's HTTP port.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=8080
	// +optional
	Port int32 `json:"port,omitempty"`
}

// AuthSpec configures request authentication, as Hasura's admin secret,
// JWT and webhook modes do.
// +kubebuilder:validation:XValidation:rule="!(has(self.jwtSecretRef) && has(self.authHook))",message="auth.jwtSecretRef and auth.authHook are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.jwtSecretRef) || has(self.authHook)) || has(self.adminSecretRef)",message="auth.adminSecretRef is required when auth.jwtSecretRef or auth.authHook is set"
// +kubebuilder:validation:XValidation:rule="!has(self.unauthorizedRole) || has(self.adminSecretRef)",message="auth.unauthorizedRole requires auth.adminSecretRef"
type AuthSpec struct {
	// AdminSecretRef selects the Secret key holding the admin secret
	// (HASURA_GRAPHQL_ADMIN_SECRET).
	// +optional
	AdminSecretRef *SecretKeySelector `json:"adminSecretRef,omitempty"`
	// JWTSecretRef selects the Secret key holding the JWT configuration JSON
	// (HASURA_GRAPHQL_JWT_SECRET).
	// +optional
	JWTSecretRef *SecretKeySelector `json:"jwtSecretRef,omitempty"`
	// AuthHook is the authentication webhook (HASURA_GRAPHQL_AUTH_HOOK).
	// +optional
	AuthHook *AuthHook `json:"authHook,omitempty"`
	// UnauthorizedRole is the role of requests without credentials
	// (HASURA_GRAPHQL_UNAUTHORIZED_ROLE).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self != 'admin'",message="auth.unauthorizedRole cannot be admin"
	// +optional
	UnauthorizedRole string `json:"unauthorizedRole,omitempty"`
}

// AuthHook is an authentication webhook.
type AuthHook struct {
	// URL of the webhook.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHost() != ''",message="auth.authHook.url must be an absolute http or https URL"
	URL string `json:"url"`
	// Mode is the HTTP method used to call the webhook.
	// +kubebuilder:validation:Enum=GET;POST
	// +kubebuilder:default=GET
	// +optional
	Mode string `json:"mode,omitempty"`
}

// InheritedRole is a role whose permissions are the union of other roles'.
// +kubebuilder:validation:XValidation:rule="!(self.roleName in self.roleSet)",message="an inherited role cannot include itself"
type InheritedRole struct {
	// RoleName is the name of the inherited role.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self != 'admin'",message="admin cannot be an inherited role"
	RoleName string `json:"roleName"`
	// RoleSet lists the roles it inherits from.
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=63
	RoleSet []string `json:"roleSet"`
}

// EngineSettings are engine behaviour switches.
type EngineSettings struct {
	// StringifyNumericTypes returns bigint, numeric and float8 values as
	// strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	// +optional
	StringifyNumericTypes bool `json:"stringifyNumericTypes,omitempty"`
	// LogLevel of the engine (HASURA_GRAPHQL_LOG_LEVEL).
	// +kubebuilder:validation:Enum=debug;info;warn;error
	// +kubebuilder:default=info
	// +optional
	LogLevel string `json:"logLevel,omitempty"`
	// EnableConsole is accepted for compatibility (HASURA_GRAPHQL_ENABLE_CONSOLE);
	// Strata serves no console.
	// +optional
	EnableConsole bool `json:"enableConsole,omitempty"`
}

// GraphQLEngineStatus is the observed state of a GraphQLEngine. Each
// controller owns a disjoint part of it and writes it with server-side apply
// under its own field manager: the workload controller owns
// observedGeneration, replicas, readyReplicas, endpoint and the Ready and
// Progressing conditions; the metadata controller owns metadataVersion,
// inconsistentObjects and MetadataConsistent; the engine pods themselves
// report servedMetadataVersion, engineInconsistencies and
// engineInconsistencyCount (field manager strata-engine), which the metadata
// controller turns into the Ready condition of each Table and Permission.
type GraphQLEngineStatus struct {
	// Conditions are Ready, Progressing and MetadataConsistent.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation the workload controller last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Replicas is the number of engine pods.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// ReadyReplicas is the number of ready engine pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// MetadataVersion identifies the metadata the operator last published.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	MetadataVersion string `json:"metadataVersion,omitempty"`
	// ServedMetadataVersion identifies the metadata the engine pods serve.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	ServedMetadataVersion string `json:"servedMetadataVersion,omitempty"`
	// EngineInconsistencies are the metadata objects the engine pods left
	// out of the metadata at servedMetadataVersion (at most 256; see
	// engineInconsistencyCount for the total).
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +optional
	EngineInconsistencies []MetadataInconsistency `json:"engineInconsistencies,omitempty"`
	// EngineInconsistencyCount is the number of inconsistent objects the
	// engine pods reported at servedMetadataVersion.
	// +optional
	EngineInconsistencyCount int32 `json:"engineInconsistencyCount,omitempty"`
	// InconsistentObjects briefly describes metadata objects that are not
	// served: rejected by the operator (conflicts, missing tables) or
	// reported inconsistent by the engine (at most 32 entries).
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=512
	// +optional
	InconsistentObjects []string `json:"inconsistentObjects,omitempty"`
	// Endpoint is the in-cluster URL of the GraphQL API's Service.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
}

// GraphQLEngine runs a Hasura-compatible GraphQL engine for one PostgreSQL
// database. Tables, Permissions and the other metadata kinds attach to it
// through their engineRef.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gqle,categories=strata
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.status.replicas`
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpoint`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="a GraphQLEngine name must be a DNS-1035 label (at most 63 lowercase letters, digits and '-', starting with a letter): its Service takes the same name"
type GraphQLEngine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec GraphQLEngineSpec `json:"spec"`
	// Status is the observed state.
	// +optional
	Status GraphQLEngineStatus `json:"status,omitempty"`
}

// GetConditions returns the status conditions.
func (e *GraphQLEngine) GetConditions() []metav1.Condition { return e.Status.Conditions }

// SetConditions replaces the status conditions.
func (e *GraphQLEngine) SetConditions(c []metav1.Condition) { e.Status.Conditions = c }

// +kubebuilder:object:root=true

// GraphQLEngineList is a list of GraphQLEngines.
type GraphQLEngineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the GraphQLEngines.
	Items []GraphQLEngine `json:"items"`
}

func init() {
	SchemeBuilder.Register(&GraphQLEngine{}, &GraphQLEngineList{})
}
