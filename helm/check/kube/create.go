package main

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	api "k8s.io/kubernetes/pkg/apis/core"
)

// decoder is strict as kubectl's default (--validate=strict) makes the API server: unknown and
// duplicate fields refuse the request. It does not default or convert; create does, in the
// API server's order.
var decoder = json.NewSerializerWithOptions(json.DefaultMetaFactory, legacyscheme.Scheme, legacyscheme.Scheme,
	json.SerializerOptions{Yaml: true, Strict: true})

// outcome of one document's create.
type outcome struct {
	skipped  bool // a kind the API server does not serve itself (Knative, Prometheus operator CRDs)
	problems []string
	warnings []string
}

type warnings []string

func (w *warnings) AddWarning(_, text string) { *w = append(*w, text) }

// create runs what the API server runs for a POST before admission and storage: decode, default,
// convert to the internal version, then the registry strategy's create path (PrepareForCreate,
// Validate, object-meta validation, WarningsOnCreate) through rest.BeforeCreate.
func create(doc []byte, gvk schema.GroupVersionKind, namespace string, services *serviceAllocator) outcome {
	scheme := legacyscheme.Scheme
	if !scheme.IsGroupRegistered(gvk.Group) {
		return outcome{skipped: true}
	}
	if !scheme.Recognizes(gvk) {
		return outcome{problems: []string{fmt.Sprintf("the API server serves no %s in %s", gvk.Kind, gvk.GroupVersion())}}
	}
	if !servedByDefault(gvk.Version) {
		return outcome{problems: []string{fmt.Sprintf("the API server does not serve %s by default (alpha and beta versions are off): use a stable version", gvk.GroupVersion())}}
	}
	reg, ok := strategies[gvk.GroupKind()]
	if !ok {
		return outcome{problems: []string{fmt.Sprintf("no create strategy for %s in this check: add it to strategies.go", gvk.GroupKind())}}
	}

	versioned, _, err := decoder.Decode(doc, &gvk, nil)
	if err != nil {
		return outcome{problems: []string{err.Error()}}
	}
	scheme.Default(versioned)
	obj, err := scheme.ConvertToVersion(versioned, schema.GroupVersion{Group: gvk.Group, Version: runtime.APIVersionInternal})
	if err != nil {
		return outcome{problems: []string{fmt.Sprintf("conversion: %v", err)}}
	}

	objMeta, err := meta.Accessor(obj)
	if err != nil {
		return outcome{problems: []string{err.Error()}}
	}
	if !reg.strategy.NamespaceScoped() {
		namespace = ""
	} else if objMeta.GetNamespace() != "" {
		namespace = objMeta.GetNamespace() // as kubectl sends it
	}
	rest.FillObjectMetaSystemFields(objMeta)
	if objMeta.GetName() == "" && objMeta.GetGenerateName() != "" {
		objMeta.SetName(reg.strategy.GenerateName(objMeta.GetGenerateName()))
	}

	// The Service storage allocates before the strategy runs, and refuses the request if it cannot.
	if svc, ok := obj.(*api.Service); ok {
		if errs := services.allocate(svc); len(errs) > 0 {
			return outcome{problems: errorStrings(errs)}
		}
	}

	var recorded warnings
	ctx := genericapirequest.WithNamespace(context.Background(), namespace)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "create", APIGroup: gvk.Group, APIVersion: gvk.Version,
		Namespace: namespace, Resource: reg.resource, Name: objMeta.GetName(),
	})
	ctx = warning.WithWarningRecorder(ctx, &recorded)
	var out outcome
	if err := rest.BeforeCreate(reg.strategy, ctx, obj); err != nil {
		out.problems = causes(err)
	}
	out.warnings = recorded
	return out
}

// causes splits an Invalid error into one problem per field, as kubectl prints them.
func causes(err error) []string {
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil || len(status.Status().Details.Causes) == 0 {
		return []string{err.Error()}
	}
	var out []string
	for _, c := range status.Status().Details.Causes {
		if c.Field != "" {
			out = append(out, c.Field+": "+c.Message)
		} else {
			out = append(out, c.Message)
		}
	}
	return out
}

func errorStrings(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}
