package main

import (
	"regexp"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"

	// Each install registers its group's versions, defaulters and conversions in legacyscheme:
	// every group the API server serves (pkg/controlplane/import_known_versions.go less the
	// webhook-only admission and imagepolicy), so that only custom resources are skipped.
	_ "k8s.io/kubernetes/pkg/apis/admissionregistration/install"
	_ "k8s.io/kubernetes/pkg/apis/apiserverinternal/install"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/authentication/install"
	_ "k8s.io/kubernetes/pkg/apis/authorization/install"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	_ "k8s.io/kubernetes/pkg/apis/certificates/install"
	_ "k8s.io/kubernetes/pkg/apis/coordination/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/discovery/install"
	_ "k8s.io/kubernetes/pkg/apis/events/install"
	_ "k8s.io/kubernetes/pkg/apis/extensions/install"
	_ "k8s.io/kubernetes/pkg/apis/flowcontrol/install"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	_ "k8s.io/kubernetes/pkg/apis/node/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
	_ "k8s.io/kubernetes/pkg/apis/resource/install"
	_ "k8s.io/kubernetes/pkg/apis/scheduling/install"
	_ "k8s.io/kubernetes/pkg/apis/storage/install"
	_ "k8s.io/kubernetes/pkg/apis/storagemigration/install"

	"k8s.io/kubernetes/pkg/registry/apps/daemonset"
	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/apps/replicaset"
	"k8s.io/kubernetes/pkg/registry/apps/statefulset"
	"k8s.io/kubernetes/pkg/registry/autoscaling/horizontalpodautoscaler"
	"k8s.io/kubernetes/pkg/registry/batch/cronjob"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/limitrange"
	"k8s.io/kubernetes/pkg/registry/core/persistentvolumeclaim"
	"k8s.io/kubernetes/pkg/registry/core/pod"
	"k8s.io/kubernetes/pkg/registry/core/resourcequota"
	"k8s.io/kubernetes/pkg/registry/core/secret"
	"k8s.io/kubernetes/pkg/registry/core/service"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	"k8s.io/kubernetes/pkg/registry/networking/ingress"
	"k8s.io/kubernetes/pkg/registry/networking/networkpolicy"
	"k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	"k8s.io/kubernetes/pkg/registry/rbac/clusterrole"
	"k8s.io/kubernetes/pkg/registry/rbac/clusterrolebinding"
	"k8s.io/kubernetes/pkg/registry/rbac/role"
	"k8s.io/kubernetes/pkg/registry/rbac/rolebinding"
	"k8s.io/kubernetes/pkg/registry/scheduling/priorityclass"
)

// registered is what the API server's REST storage of a kind uses on create: the resource (for
// the request info that declarative validation reads) and the strategy.
type registered struct {
	resource string
	strategy rest.RESTCreateStrategy
}

// strategies covers the kinds a chart like ours renders. A kind that the scheme knows but this
// table does not is reported as a problem, so a new kind in the chart cannot pass unchecked.
var strategies = map[schema.GroupKind]registered{
	{Group: "", Kind: "ConfigMap"}:                                   {"configmaps", configmap.Strategy},
	{Group: "", Kind: "Secret"}:                                      {"secrets", secret.Strategy},
	{Group: "", Kind: "ServiceAccount"}:                              {"serviceaccounts", serviceaccount.Strategy},
	{Group: "", Kind: "Service"}:                                     {"services", service.Strategy},
	{Group: "", Kind: "Pod"}:                                         {"pods", pod.Strategy},
	{Group: "", Kind: "PersistentVolumeClaim"}:                       {"persistentvolumeclaims", persistentvolumeclaim.Strategy},
	{Group: "", Kind: "LimitRange"}:                                  {"limitranges", limitrange.Strategy},
	{Group: "", Kind: "ResourceQuota"}:                               {"resourcequotas", resourcequota.Strategy},
	{Group: "apps", Kind: "Deployment"}:                              {"deployments", deployment.Strategy},
	{Group: "apps", Kind: "StatefulSet"}:                             {"statefulsets", statefulset.Strategy},
	{Group: "apps", Kind: "DaemonSet"}:                               {"daemonsets", daemonset.Strategy},
	{Group: "apps", Kind: "ReplicaSet"}:                              {"replicasets", replicaset.Strategy},
	{Group: "batch", Kind: "Job"}:                                    {"jobs", job.Strategy},
	{Group: "batch", Kind: "CronJob"}:                                {"cronjobs", cronjob.Strategy},
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:          {"horizontalpodautoscalers", horizontalpodautoscaler.Strategy},
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:              {"networkpolicies", networkpolicy.Strategy},
	{Group: "networking.k8s.io", Kind: "Ingress"}:                    {"ingresses", ingress.Strategy},
	{Group: "policy", Kind: "PodDisruptionBudget"}:                   {"poddisruptionbudgets", poddisruptionbudget.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               {"roles", role.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        {"rolebindings", rolebinding.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        {"clusterroles", clusterrole.Strategy},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: {"clusterrolebindings", clusterrolebinding.Strategy},
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:              {"priorityclasses", priorityclass.Strategy},
}

// servedByDefault: the API server serves the stable versions of its groups and turns every alpha
// and beta version off unless --runtime-config enables it (pkg/controlplane/instance.go
// DefaultAPIResourceConfigSource). The scheme still knows the old versions (policy/v1beta1, …), so
// without this a manifest the cluster refuses with "no matches for kind" would pass.
var servedByDefault = regexp.MustCompile(`^v[0-9]+$`).MatchString
