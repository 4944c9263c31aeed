// Package v1alpha1 contains the graphql.strata.dev/v1alpha1 API: the custom
// resources (GraphQLEngine, Table, Permission, ...) teams apply to declare a
// GraphQL API, which the operator reconciles into running engines.
// +kubebuilder:object:generate=true
// +groupName=graphql.strata.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of these resources.
	GroupVersion = schema.GroupVersion{Group: "graphql.strata.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Go types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this group-version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
