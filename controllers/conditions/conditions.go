// Package conditions manages the metav1.Condition lists in the status of
// Strata's custom resources.
//
// Conventions, shared by every controller of the operator:
//   - every condition carries the generation it was computed from
//     (observedGeneration), stamped by Set;
//   - each controller owns a fixed set of condition types and writes only
//     those, with server-side apply on the status subresource under its own
//     field manager, so controllers sharing an object never overwrite each
//     other's conditions (the conditions list is a map keyed by type);
//   - Owned extracts a controller's own conditions for such an apply.
package conditions

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Object is a Kubernetes object with status conditions. Every kind of
// graphql.strata.dev/v1alpha1 implements it.
type Object interface {
	metav1.Object
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

// Set adds or updates the condition of the given type on obj, stamped with
// obj's current generation. The transition time changes only when the status
// does. It reports whether anything changed.
func Set(obj Object, typ string, status metav1.ConditionStatus, reason, message string) bool {
	conds := obj.GetConditions()
	changed := meta.SetStatusCondition(&conds, metav1.Condition{
		Type:               typ,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: obj.GetGeneration(),
	})
	obj.SetConditions(conds)
	return changed
}

// MarkTrue sets the condition of the given type to True.
func MarkTrue(obj Object, typ, reason, message string) bool {
	return Set(obj, typ, metav1.ConditionTrue, reason, message)
}

// MarkFalse sets the condition of the given type to False.
func MarkFalse(obj Object, typ, reason, message string) bool {
	return Set(obj, typ, metav1.ConditionFalse, reason, message)
}

// MarkUnknown sets the condition of the given type to Unknown.
func MarkUnknown(obj Object, typ, reason, message string) bool {
	return Set(obj, typ, metav1.ConditionUnknown, reason, message)
}

// Get returns the condition of the given type, or nil.
func Get(obj Object, typ string) *metav1.Condition {
	return meta.FindStatusCondition(obj.GetConditions(), typ)
}

// IsTrue reports whether the condition of the given type is True and was
// computed from obj's current generation.
func IsTrue(obj Object, typ string) bool {
	c := Get(obj, typ)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.GetGeneration()
}

// Owned returns copies of obj's conditions of the given types, in that
// order, skipping types that are not set: the conditions a controller puts
// in its server-side apply of the status.
func Owned(obj Object, types ...string) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(types))
	for _, t := range types {
		if c := Get(obj, t); c != nil {
			out = append(out, *c)
		}
	}
	return out
}
