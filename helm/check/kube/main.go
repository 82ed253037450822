// kube-check runs the Kubernetes API server's create path on every core object of rendered
// manifests, without a cluster: what a schema cannot see (a selector that does not match its
// template's labels, requests above limits, bad names and ports) is refused here as it would be
// by `kubectl apply`.
//
// Usage: kube-check [-namespace NS] [FILE...]   (stdin when no file; multi-document YAML)
// Prints one JSON object: {"checked":N,"skipped":{"group/Kind":N},"problems":[{kind,name,problem}],
// "warnings":[{kind,name,warning}]}. Exit 0 whatever the problems (the caller judges); 2 when the
// input cannot be read.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type problem struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Problem string `json:"problem,omitempty"`
	Warning string `json:"warning,omitempty"`
}

type report struct {
	Checked  int            `json:"checked"`
	Skipped  map[string]int `json:"skipped"`
	Problems []problem      `json:"problems"`
	Warnings []problem      `json:"warnings"`
}

func main() {
	namespace := flag.String("namespace", "default", "the namespace the chart is installed in (objects without one get it)")
	flag.Parse()
	var inputs []io.Reader
	for _, f := range flag.Args() {
		file, err := os.Open(f)
		if err != nil {
			fail(err)
		}
		defer file.Close()
		inputs = append(inputs, file)
	}
	if len(inputs) == 0 {
		inputs = append(inputs, os.Stdin)
	}

	rep := report{Skipped: map[string]int{}, Problems: []problem{}, Warnings: []problem{}}
	services := newServiceAllocator() // one cluster for the whole input
	for _, in := range inputs {
		docs := utilyaml.NewYAMLReader(bufio.NewReader(in))
		for {
			doc, err := docs.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				fail(err)
			}
			check(&rep, doc, *namespace, services)
		}
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	if err := out.Encode(rep); err != nil {
		fail(err)
	}
}

// check reads a document's kind and name, then runs its create.
func check(rep *report, doc []byte, namespace string, services *serviceAllocator) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	asJSON, err := yaml.YAMLToJSON(doc)
	if err != nil {
		rep.Problems = append(rep.Problems, problem{Kind: "?", Name: "?", Problem: err.Error()})
		return
	}
	if bytes.Equal(bytes.TrimSpace(asJSON), []byte("null")) {
		return // an empty document (a template that rendered nothing)
	}
	if err := json.Unmarshal(asJSON, &head); err != nil || head.Kind == "" || head.APIVersion == "" {
		rep.Problems = append(rep.Problems, problem{Kind: head.Kind, Name: head.Metadata.Name, Problem: "not an object with apiVersion and kind"})
		return
	}
	gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
	result := create(doc, gvk, namespace, services)
	if result.skipped {
		rep.Skipped[gvk.GroupKind().String()]++
		return
	}
	rep.Checked++
	for _, p := range result.problems {
		rep.Problems = append(rep.Problems, problem{Kind: head.Kind, Name: head.Metadata.Name, Problem: p})
	}
	for _, w := range result.warnings {
		rep.Warnings = append(rep.Warnings, problem{Kind: head.Kind, Name: head.Metadata.Name, Warning: w})
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kube-check:", err)
	os.Exit(2)
}
