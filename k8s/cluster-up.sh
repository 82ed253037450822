#!/usr/bin/env bash
# npm run cluster:up — a kind cluster with Knative Serving (Kourier ingress, inside the cluster
# only: premiere's edge is the one public door) and Knative Eventing (in-memory channel, MT channel
# broker, sender identity on), at the versions pinned in k8s/versions.env, waiting until everything
# is ready. Needs docker, kind and kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."
source k8s/versions.env

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { echo "cluster:up: $tool is needed (see the README, Install on kind)" >&2; exit 1; }
done

# An older kind cannot run kind-config.yaml's node image (Kubernetes v1.34, the least Knative v1.22
# runs on): say so now rather than fail inside `kind create cluster`.
kind_version="$(kind version 2>/dev/null | awk '{ print $2 }')"
kind_release="${kind_version%%[-+]*}"
if [[ ! "$kind_release" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || [ "$(printf '%s\n%s\n' "$KIND_MIN_VERSION" "$kind_release" | sort -V | head -n 1)" != "$KIND_MIN_VERSION" ]; then
  echo "cluster:up: kind-config.yaml's node (Kubernetes v1.34, the least Knative v1.22 runs on) needs kind $KIND_MIN_VERSION or newer; found ${kind_version:-no version in \`kind version\`}: install a newer kind (see the README, Install on kind)" >&2
  exit 1
fi

release() { echo "https://github.com/knative/$1/releases/download/$2/$3"; }
wait_for() { kubectl wait --for=condition=Available deployment --all -n "$1" --timeout=300s; }

if ! kind get clusters | grep -qx "$KIND_CLUSTER_NAME"; then
  kind create cluster --config kind-config.yaml --name "$KIND_CLUSTER_NAME" --wait 120s
fi
kubectl config use-context "kind-$KIND_CLUSTER_NAME"
# A cluster of that name made earlier (by an older cluster:up) may run an older Kubernetes, on which
# Knative's controllers would crash-loop and the waits below time out: say so instead.
server_version="$({ kubectl version -o json 2>/dev/null || true; } | tr -d ' \n' | sed -n 's/.*"serverVersion":{[^}]*"gitVersion":"\(v[0-9][0-9.]*\).*/\1/p')"
if [ -z "$server_version" ] || [ "$(printf '%s\n%s\n' "$KUBERNETES_MIN_VERSION" "$server_version" | sort -V | head -n 1)" != "$KUBERNETES_MIN_VERSION" ]; then
  echo "cluster:up: the kind cluster $KIND_CLUSTER_NAME runs Kubernetes ${server_version:-(unknown)}; Knative $KNATIVE_SERVING_VERSION needs $KUBERNETES_MIN_VERSION or newer: npm run cluster:down, then npm run cluster:up again" >&2
  exit 1
fi

echo "Knative Serving $KNATIVE_SERVING_VERSION"
kubectl apply -f "$(release serving "$KNATIVE_SERVING_VERSION" serving-crds.yaml)"
kubectl wait --for=condition=Established crd --all --timeout=120s
kubectl apply -f "$(release serving "$KNATIVE_SERVING_VERSION" serving-core.yaml)"
wait_for knative-serving

echo "Kourier $KOURIER_VERSION"
kubectl apply -f "$(release net-kourier "$KOURIER_VERSION" kourier.yaml)"
kubectl patch configmap/config-network -n knative-serving --type merge \
  -p '{"data":{"ingress-class":"kourier.ingress.networking.knative.dev"}}'
# Every function is cluster-local: Kourier's internet-facing gateway has no route to serve, so it
# is not exposed at all (its manifest makes it a LoadBalancer, which also opens a NodePort on the
# node). The edge, the chart's NodePort that kind-config.yaml maps to localhost:8080, is the door.
kubectl patch service/kourier -n kourier-system --type merge -p '{"spec":{"type":"ClusterIP"}}'
# Images loaded into kind (dev.local/…) are used by tag, not resolved to a digest at a registry.
kubectl patch configmap/config-deployment -n knative-serving --type merge \
  -p '{"data":{"registries-skipping-tag-resolving":"kind.local,ko.local,dev.local"}}'
wait_for kourier-system

echo "Knative Eventing $KNATIVE_EVENTING_VERSION"
kubectl apply -f "$(release eventing "$KNATIVE_EVENTING_VERSION" eventing-crds.yaml)"
kubectl wait --for=condition=Established crd --all --timeout=120s
kubectl apply -f "$(release eventing "$KNATIVE_EVENTING_VERSION" eventing-core.yaml)"
kubectl apply -f "$(release eventing "$KNATIVE_EVENTING_VERSION" in-memory-channel.yaml)"
kubectl apply -f "$(release eventing "$KNATIVE_EVENTING_VERSION" mt-channel-broker.yaml)"
wait_for knative-eventing
# Sender identity (the authentication-oidc feature): every Trigger and PingSource sends its
# subscriber an OIDC token of the audience the chart gives it, which the functions verify
# (events.authentication), and the SinkBinding mounts in each function a token for the broker
# (/oidc/token). Patched once the webhook that validates this ConfigMap is up (wait_for above);
# every Eventing component watches config-features, so none needs a restart.
kubectl patch configmap/config-features -n knative-eventing --type merge -p '{"data":{"authentication-oidc":"enabled"}}'

echo "ready: kind cluster $KIND_CLUSTER_NAME with Knative Serving, Kourier and Eventing (sender identity on)"
echo "next: skaffold run (or build the images and helm install premiere helm/premiere)"
