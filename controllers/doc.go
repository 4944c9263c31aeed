// Package controllers holds the reconcilers of the Strata operator.
//
// Reconcilers are thin: they read the objects they need, call the pure
// builders of this package (which turn a custom resource into the apply
// configurations of the Kubernetes objects it owns), apply the result with
// server-side apply under FieldManager, and report what they observed in the
// resource's status through package controllers/conditions.
package controllers
