package conditions_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers/conditions"
)

func TestSetStampsGenerationAndKeepsTransitionTime(t *testing.T) {
	tbl := &v1alpha1.Table{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
	if !conditions.MarkFalse(tbl, v1alpha1.ConditionReady, "Waiting", "not yet") {
		t.Fatal("first Set reported no change")
	}
	c := conditions.Get(tbl, v1alpha1.ConditionReady)
	if c == nil || c.ObservedGeneration != 3 || c.Status != metav1.ConditionFalse || c.Reason != "Waiting" {
		t.Fatalf("unexpected condition %+v", c)
	}
	first := c.LastTransitionTime
	if conditions.MarkFalse(tbl, v1alpha1.ConditionReady, "Waiting", "not yet") {
		t.Fatal("setting the same condition again reported a change")
	}
	tbl.Generation = 4
	if !conditions.MarkFalse(tbl, v1alpha1.ConditionReady, "Waiting", "not yet") {
		t.Fatal("a new generation is a change")
	}
	if got := conditions.Get(tbl, v1alpha1.ConditionReady).LastTransitionTime; !got.Equal(&first) {
		t.Fatalf("transition time moved without a status change: %v -> %v", first, got)
	}
	if conditions.IsTrue(tbl, v1alpha1.ConditionReady) {
		t.Fatal("IsTrue on a False condition")
	}
	conditions.MarkTrue(tbl, v1alpha1.ConditionReady, "Published", "ok")
	if !conditions.IsTrue(tbl, v1alpha1.ConditionReady) {
		t.Fatal("IsTrue on a current True condition returned false")
	}
	tbl.Generation = 5
	if conditions.IsTrue(tbl, v1alpha1.ConditionReady) {
		t.Fatal("IsTrue on a stale condition returned true")
	}
}

func TestOwnedSelectsInOrder(t *testing.T) {
	e := &v1alpha1.GraphQLEngine{}
	conditions.MarkTrue(e, v1alpha1.ConditionMetadataConsistent, "Consistent", "")
	conditions.MarkUnknown(e, v1alpha1.ConditionProgressing, "Starting", "")
	conditions.MarkTrue(e, v1alpha1.ConditionReady, "Available", "")
	got := conditions.Owned(e, v1alpha1.ConditionReady, v1alpha1.ConditionProgressing, "Absent")
	if len(got) != 2 || got[0].Type != v1alpha1.ConditionReady || got[1].Type != v1alpha1.ConditionProgressing {
		t.Fatalf("Owned = %+v", got)
	}
	got[0].Reason = "Changed"
	if conditions.Get(e, v1alpha1.ConditionReady).Reason != "Available" {
		t.Fatal("Owned returned aliases, not copies")
	}
}
