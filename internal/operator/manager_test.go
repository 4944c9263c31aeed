package operator

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers"
)

func TestNewSchemeKnowsEveryKind(t *testing.T) {
	s, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"GraphQLEngine", "GraphQLEngineList", "Table", "TableList", "Permission", "PermissionList"} {
		if !s.Recognizes(v1alpha1.GroupVersion.WithKind(kind)) {
			t.Errorf("scheme does not know %s", kind)
		}
	}
	if !s.Recognizes(appsv1.SchemeGroupVersion.WithKind("Deployment")) {
		t.Error("scheme does not know the core Kubernetes kinds")
	}
}

func TestOwnedObjectsCacheSelectsManagedObjects(t *testing.T) {
	byObject := ownedObjectsCache()
	if len(byObject) != 7 {
		t.Fatalf("cache options cover %d kinds, want the 7 owned kinds", len(byObject))
	}
	for obj, o := range byObject {
		if got, want := o.Label.String(), controllers.LabelManagedBy+"="+controllers.ManagedByValue; got != want {
			t.Errorf("%T: label selector %q, want %q", obj, got, want)
		}
	}
}
