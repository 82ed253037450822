package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"knative.dev/eventing/pkg/apis/eventing"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	flowsv1 "knative.dev/eventing/pkg/apis/flows/v1"
	messagingv1 "knative.dev/eventing/pkg/apis/messaging/v1"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	"knative.dev/pkg/webhook/resourcesemantics"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"knative.dev/serving/pkg/reconciler/revision/resources"
)

// Which webhook (serving's or eventing's) admits a kind, and its Go type: the same tables as
// each module's cmd/webhook, for the kinds a chart would render.
type kindEntry struct {
	serving bool
	new     func() resourcesemantics.GenericCRD
}

var kinds = map[schema.GroupVersionKind]kindEntry{
	servingv1.SchemeGroupVersion.WithKind("Service"):         {true, func() resourcesemantics.GenericCRD { return &servingv1.Service{} }},
	servingv1.SchemeGroupVersion.WithKind("Configuration"):   {true, func() resourcesemantics.GenericCRD { return &servingv1.Configuration{} }},
	servingv1.SchemeGroupVersion.WithKind("Route"):           {true, func() resourcesemantics.GenericCRD { return &servingv1.Route{} }},
	eventingv1.SchemeGroupVersion.WithKind("Broker"):         {false, func() resourcesemantics.GenericCRD { return &eventingv1.Broker{} }},
	eventingv1.SchemeGroupVersion.WithKind("Trigger"):        {false, func() resourcesemantics.GenericCRD { return &eventingv1.Trigger{} }},
	messagingv1.SchemeGroupVersion.WithKind("Channel"):       {false, func() resourcesemantics.GenericCRD { return &messagingv1.Channel{} }},
	messagingv1.SchemeGroupVersion.WithKind("Subscription"):  {false, func() resourcesemantics.GenericCRD { return &messagingv1.Subscription{} }},
	sourcesv1.SchemeGroupVersion.WithKind("PingSource"):      {false, func() resourcesemantics.GenericCRD { return &sourcesv1.PingSource{} }},
	sourcesv1.SchemeGroupVersion.WithKind("SinkBinding"):     {false, func() resourcesemantics.GenericCRD { return &sourcesv1.SinkBinding{} }},
	sourcesv1.SchemeGroupVersion.WithKind("ApiServerSource"): {false, func() resourcesemantics.GenericCRD { return &sourcesv1.ApiServerSource{} }},
	sourcesv1.SchemeGroupVersion.WithKind("ContainerSource"): {false, func() resourcesemantics.GenericCRD { return &sourcesv1.ContainerSource{} }},
	flowsv1.SchemeGroupVersion.WithKind("Parallel"):          {false, func() resourcesemantics.GenericCRD { return &flowsv1.Parallel{} }},
	flowsv1.SchemeGroupVersion.WithKind("Sequence"):          {false, func() resourcesemantics.GenericCRD { return &flowsv1.Sequence{} }},
}

// revisionPod builds the pod of a Service's revision as serving's dry-run validation does
// (pkg/webhook/podspec_dryrun.go validatePodSpec), which then sends it to the API server: here
// it is returned for the Kubernetes layer of chart:check to run through the create path.
func revisionPod(ctx context.Context, svc *servingv1.Service) *corev1.Pod {
	om := metav1.ObjectMeta{GenerateName: "dry-run-validation", Namespace: svc.Namespace}
	rev := &servingv1.Revision{ObjectMeta: om, Spec: svc.Spec.Template.Spec}
	rev.SetDefaults(ctx)
	spec := resources.BuildPodSpec(rev, resources.BuildUserContainers(rev, nil /*features*/), nil /*configs*/)
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: om,
		Spec:       *spec,
	}
}

// What a broker class other than the channel-based one reads from spec.config. Eventing's
// defaulting gives every class without a config-br-defaults entry the cluster default
// (knative-eventing/config-br-default-channel, an InMemoryChannel template): the Kafka broker
// then finds no bootstrap.servers and the RabbitMQ broker no cluster, and neither becomes Ready.
var brokerConfigKinds = map[string][]string{
	"Kafka":          {"v1/ConfigMap"},
	"RabbitMQBroker": {"eventing.knative.dev/v1alpha1/RabbitmqBrokerConfig", "rabbitmq.com/v1beta1/RabbitmqCluster"},
}

// brokerClassProblems runs on the defaulted Broker: what the class's own controller will need.
func brokerClassProblems(b *eventingv1.Broker) []string {
	class := b.Annotations[eventing.BrokerClassKey]
	if class == eventing.MTChannelBrokerClassValue {
		return nil
	}
	c := b.Spec.Config
	if c == nil {
		return []string{fmt.Sprintf("broker class %s has no spec.config", class)}
	}
	if c.Name == "config-br-default-channel" {
		return []string{fmt.Sprintf("broker class %s gets the channel-based broker's config (spec.config %s/%s after defaulting), which it cannot use: it never becomes Ready", class, c.Namespace, c.Name)}
	}
	wanted, known := brokerConfigKinds[class]
	if !known {
		return nil
	}
	for _, w := range wanted {
		if w == c.APIVersion+"/"+c.Kind {
			return nil
		}
	}
	return []string{fmt.Sprintf("broker class %s needs spec.config of kind %v, not %s/%s", class, wanted, c.APIVersion, c.Kind)}
}
