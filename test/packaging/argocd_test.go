package packaging

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

// healthDir holds the Argo CD health scripts, one per group/kind, laid out
// as in Argo CD's resource_customizations.
var healthDir = filepath.Join(repoRoot, "config", "argocd", "health", "graphql.strata.dev")

// health is the result of an Argo CD health script.
type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// runHealth runs a health script the way Argo CD does (util/lua): a VM
// without the standard libraries except base, table and package, a time
// limit, the object decoded into Lua tables as the global obj, and the
// returned table read as {status, message}.
func runHealth(t *testing.T, script string, obj map[string]any) health {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("health script failed: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health script returned %s, want a table", l.Get(-1).Type())
	}
	var h health
	for key, dst := range map[string]*string{"status": &h.Status, "message": &h.Message} {
		switch v := ret.RawGetString(key).(type) {
		case lua.LString:
			*dst = string(v)
		case *lua.LNilType:
		default:
			t.Fatalf("health %s is a %s, want a string", key, v.Type())
		}
	}
	switch h.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		t.Fatalf("health status %q is not an Argo CD health status", h.Status)
	}
	return h
}

// toLua converts a decoded JSON value to Lua values as Argo CD does: maps
// and lists become tables (lists indexed from 1), numbers LNumber.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		tbl := l.NewTable()
		for k, e := range v {
			tbl.RawSetString(k, toLua(l, e))
		}
		return tbl
	case []any:
		tbl := l.NewTable()
		for i, e := range v {
			tbl.RawSetInt(i+1, toLua(l, e))
		}
		return tbl
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	}
	// nil; encoding/json decodes into no other type.
	return lua.LNil
}

func readScript(t *testing.T, kind string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(healthDir, kind, "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// statusCase is a captured object and the health it must have.
type statusCase struct {
	file, kind, status string
	// message must appear in the health message.
	message string
}

var statusCases = []statusCase{
	{"graphqlengine-ready.json", "GraphQLEngine", "Healthy", "replicas ready"},
	{"graphqlengine-progressing.json", "GraphQLEngine", "Progressing", "RollingOut"},
	{"table-ready.json", "Table", "Healthy", "Published"},
	{"table-not-ready.json", "Table", "Degraded", ""},
	{"permission-ready.json", "Permission", "Healthy", "Published"},
	{"permission-not-ready.json", "Permission", "Degraded", ""},
	// A crash-looping engine is Progressing, as a Deployment is, until its
	// progress deadline passes.
	{"graphqlengine-not-ready.json", "GraphQLEngine", "Progressing", "RollingOut"},
	// Just applied: the operator has not written a status yet.
	{"graphqlengine-generation-lag.json", "GraphQLEngine", "Progressing", ""},
	{"table-generation-lag.json", "Table", "Progressing", ""},
	{"permission-generation-lag.json", "Permission", "Progressing", ""},
}

// captureDirs are the directories of captured objects: testdata/status and
// the one the real-cluster end-to-end suite writes to, when set.
func captureDirs() []string {
	dirs := []string{filepath.Join("testdata", "status")}
	if d := os.Getenv("STRATA_E2E_CAPTURE_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	return dirs
}

func readObject(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// readyCondition returns the Ready condition of a captured object.
func readyCondition(obj map[string]any) map[string]any {
	status, _ := obj["status"].(map[string]any)
	conds, _ := status["conditions"].([]any)
	for _, c := range conds {
		if c, ok := c.(map[string]any); ok && c["type"] == "Ready" {
			return c
		}
	}
	return nil
}

// TestArgoCDHealthOfCapturedObjects runs each kind's health script on the
// captured objects, on the same objects without status (just applied), and
// with a generation the operator has not processed yet.
func TestArgoCDHealthOfCapturedObjects(t *testing.T) {
	for _, dir := range captureDirs() {
		for _, tc := range statusCases {
			t.Run(filepath.Join(dir, tc.file), func(t *testing.T) {
				obj := readObject(t, filepath.Join(dir, tc.file))
				if obj["kind"] != tc.kind {
					t.Fatalf("kind %v, want %s", obj["kind"], tc.kind)
				}
				script := readScript(t, tc.kind)
				h := runHealth(t, script, obj)
				if h.Status != tc.status || !strings.Contains(h.Message, tc.message) {
					t.Fatalf("health = %+v, want status %s with a message containing %q", h, tc.status, tc.message)
				}
				if tc.status == "Degraded" {
					// Degraded carries the condition's reason and message.
					ready := readyCondition(obj)
					if ready == nil {
						t.Fatal("a Degraded object without a Ready condition")
					}
					want := fmt.Sprintf("%v: %v", ready["reason"], ready["message"])
					if !strings.Contains(h.Message, want) {
						t.Fatalf("message %q lacks %q", h.Message, want)
					}
				}

				// No status at all: a freshly applied object.
				fresh := readObject(t, filepath.Join(dir, tc.file))
				delete(fresh, "status")
				if h := runHealth(t, script, fresh); h.Status != "Progressing" {
					t.Fatalf("without status: %+v, want Progressing", h)
				}

				// A spec change the operator has not processed yet.
				lag := readObject(t, filepath.Join(dir, tc.file))
				meta, _ := lag["metadata"].(map[string]any)
				gen, ok := meta["generation"].(float64)
				if !ok {
					t.Fatal("the captured object has no metadata.generation")
				}
				meta["generation"] = gen + 1
				if h := runHealth(t, script, lag); h.Status != "Progressing" || !strings.Contains(h.Message, "generation") {
					t.Fatalf("with a generation lag: %+v, want Progressing about the generation", h)
				}
			})
		}
	}
}

// TestArgoCDEngineHealthCases covers engine states the captures do not: a
// missing Secret and a rollout past its deadline are Degraded, a rollout
// while the engine is available is Progressing, and inconsistent metadata
// is reported in the message of a Healthy engine.
func TestArgoCDEngineHealthCases(t *testing.T) {
	script := readScript(t, "GraphQLEngine")
	base := readObject(t, filepath.Join("testdata", "status", "graphqlengine-ready.json"))
	gen := base["metadata"].(map[string]any)["generation"]
	cond := func(typ, status, reason, msg string) any {
		return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg, "observedGeneration": gen}
	}
	cases := []struct {
		name       string
		conditions []any
		status     string
		message    string
	}{
		{"secret missing", []any{
			cond("Ready", "False", "SecretNotFound", `Secret "db" not found`),
			cond("Progressing", "False", "SecretNotFound", `Secret "db" not found`),
		}, "Degraded", `SecretNotFound: Secret "db" not found`},
		{"deadline exceeded", []any{
			cond("Ready", "True", "DeploymentAvailable", "1 of 2 replicas ready"),
			cond("Progressing", "False", "ProgressDeadlineExceeded", "the engine rollout exceeded its progress deadline"),
		}, "Degraded", "ProgressDeadlineExceeded: the engine rollout exceeded"},
		{"rolling out while available", []any{
			cond("Ready", "True", "DeploymentAvailable", "1 of 2 replicas ready"),
			cond("Progressing", "True", "RollingOut", "1 of 2 replicas updated"),
		}, "Progressing", "RollingOut: 1 of 2 replicas updated"},
		{"apply failed", []any{
			cond("Ready", "False", "ApplyFailed", "applying Deployment: forbidden"),
		}, "Degraded", "ApplyFailed: applying Deployment: forbidden"},
		{"inconsistent metadata", []any{
			cond("Ready", "True", "DeploymentAvailable", "1 of 1 replicas ready"),
			cond("Progressing", "False", "RolloutComplete", "1 of 1 replicas ready"),
			cond("MetadataConsistent", "False", "Inconsistent", "1 inconsistent object"),
		}, "Healthy", "metadata not fully served (Inconsistent): 1 inconsistent object"},
		{"no Ready condition yet", nil, "Progressing", "Waiting for the Ready condition"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := readObject(t, filepath.Join("testdata", "status", "graphqlengine-ready.json"))
			obj["status"].(map[string]any)["conditions"] = tc.conditions
			h := runHealth(t, script, obj)
			if h.Status != tc.status || !strings.Contains(h.Message, tc.message) {
				t.Fatalf("health = %+v, want %s with %q", h, tc.status, tc.message)
			}
		})
	}
}

// TestArgoCDDocEmbedsScripts checks that the argocd-cm snippet of
// docs/argocd.md carries exactly the scripts of config/argocd/health.
func TestArgoCDDocEmbedsScripts(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "argocd.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string                           `json:"apiVersion"`
		Kind       string                           `json:"kind"`
		Metadata   struct{ Name, Namespace string } `json:"metadata"`
		Data       map[string]string                `json:"data"`
	}
	for _, block := range yamlBlocks(string(doc)) {
		if strings.Contains(block, "name: argocd-cm") {
			if err := yaml.UnmarshalStrict([]byte(block), &cm); err != nil {
				t.Fatalf("the argocd-cm block of docs/argocd.md: %v", err)
			}
		}
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Name != "argocd-cm" {
		t.Fatal("docs/argocd.md has no argocd-cm ConfigMap block")
	}
	for _, kind := range []string{"GraphQLEngine", "Table", "Permission"} {
		key := "resource.customizations.health.graphql.strata.dev_" + kind
		if got, want := cm.Data[key], readScript(t, kind); got != want {
			t.Errorf("docs/argocd.md %s differs from config/argocd/health/graphql.strata.dev/%s/health.lua; copy the file into the doc", key, kind)
		}
	}
	if len(cm.Data) != 3 {
		t.Errorf("argocd-cm block has %d keys, want the 3 health checks", len(cm.Data))
	}
}

// yamlBlocks returns the contents of the ```yaml code blocks of a Markdown page.
func yamlBlocks(md string) []string {
	var blocks []string
	for {
		start := strings.Index(md, "```yaml\n")
		if start < 0 {
			return blocks
		}
		md = md[start+len("```yaml\n"):]
		end := strings.Index(md, "\n```")
		if end < 0 {
			return blocks
		}
		blocks = append(blocks, md[:end+1])
		md = md[end+4:]
	}
}
