// knative-check runs Knative's admission webhooks' logic on a rendered chart, without a cluster:
// every Knative object is strictly decoded, defaulted and validated with the config each
// webhook attaches, and each Knative Service's revision pod is built as serving builds it.
//
//	knative-check -serving DIR -eventing DIR [-namespace NS] < rendering.yaml
//
// DIR is each module's directory (`go list -m -f {{.Dir}} knative.dev/serving`). It prints one
// JSON object: {"problems": [{kind,name,problem}], "objects": [defaulted objects],
// "pods": [{service, pod}]}; it exits non-zero only when it cannot run.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	"knative.dev/pkg/apis"
	"knative.dev/pkg/logging"
	webhookjson "knative.dev/pkg/webhook/json"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

type problem struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Problem string `json:"problem"`
}

type servicePod struct {
	Service string      `json:"service"`
	Pod     *corev1.Pod `json:"pod"`
}

type report struct {
	Problems []problem    `json:"problems"`
	Objects  []any        `json:"objects"`
	Pods     []servicePod `json:"pods"`
}

func main() {
	servingDir := flag.String("serving", "", "knative.dev/serving module directory")
	eventingDir := flag.String("eventing", "", "knative.dev/eventing module directory")
	namespace := flag.String("namespace", "default", "namespace the objects are created in (helm template renders none)")
	flag.Parse()
	if *servingDir == "" || *eventingDir == "" {
		fail(errors.New("-serving and -eventing are required"))
	}
	logger := zap.NewNop().Sugar()
	base := logging.WithLogger(context.Background(), logger)
	sctx, err := servingContext(base, *servingDir, logger)
	if err != nil {
		fail(err)
	}
	ectx, err := eventingContext(base, *eventingDir, logger)
	if err != nil {
		fail(err)
	}
	docs, err := readDocuments(os.Stdin)
	if err != nil {
		fail(err)
	}
	out := report{Problems: []problem{}, Objects: []any{}, Pods: []servicePod{}}
	for _, doc := range docs {
		check(doc, sctx, ectx, *namespace, &out)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

// check is one object's admission: decode as the webhook does (unknown fields refused), then the
// defaulting webhook's SetDefaults and the validating webhook's Validate, both within a create.
func check(raw []byte, sctx, ectx context.Context, namespace string, out *report) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		out.Problems = append(out.Problems, problem{"?", "?", err.Error()})
		return
	}
	gv, _ := schema.ParseGroupVersion(head.APIVersion)
	if !isKnative(gv.Group) {
		return
	}
	say := func(format string, args ...any) {
		out.Problems = append(out.Problems, problem{head.Kind, head.Metadata.Name, fmt.Sprintf(format, args...)})
	}
	entry, ok := kinds[gv.WithKind(head.Kind)]
	if !ok {
		say("no Knative check for %s %s: add it to kinds.go", head.APIVersion, head.Kind)
		return
	}
	obj := entry.new()
	if err := webhookjson.Decode(raw, obj, true); err != nil {
		say("%v", err)
		return
	}
	// helm template renders no namespace; the API server takes it from the request.
	if m, ok := obj.(metav1.Object); ok && m.GetNamespace() == "" {
		m.SetNamespace(namespace)
	}
	ctx := ectx
	if entry.serving {
		ctx = sctx
	}
	ctx = apis.WithinCreate(ctx)
	obj.SetDefaults(ctx)
	if err := obj.Validate(ctx); err != nil {
		// A FieldError joins its findings with newlines: one problem each.
		if e := err.Filter(apis.ErrorLevel); e != nil {
			for _, line := range strings.Split(e.Error(), "\n") {
				say("%s", line)
			}
		}
		// kubectl shows warnings and creates the object; the chart should not earn any.
		if w := err.Filter(apis.WarningLevel); w != nil {
			for _, line := range strings.Split(w.Error(), "\n") {
				say("warning: %s", line)
			}
		}
	}
	switch o := obj.(type) {
	case *servingv1.Service:
		out.Pods = append(out.Pods, servicePod{o.Name, revisionPod(ctx, o)})
	case *eventingv1.Broker:
		for _, p := range brokerClassProblems(o) {
			say("%s", p)
		}
	}
	out.Objects = append(out.Objects, obj)
}

func isKnative(group string) bool {
	const suffix = "knative.dev"
	return len(group) >= len(suffix) && group[len(group)-len(suffix):] == suffix
}

// readDocuments splits multi-document YAML and converts each document to JSON (what the API
// server hands the webhook); empty documents are skipped.
func readDocuments(r io.Reader) ([][]byte, error) {
	reader := k8syaml.NewYAMLReader(bufio.NewReader(r))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if string(j) != "null" {
			docs = append(docs, j)
		}
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "knative-check: %v\n", err)
	os.Exit(2)
}
