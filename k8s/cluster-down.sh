#!/usr/bin/env bash
# npm run cluster:down — deletes the kind cluster cluster:up made, and everything in it.
set -euo pipefail
cd "$(dirname "$0")/.."
source k8s/versions.env
command -v kind >/dev/null || { echo "cluster:down: kind is needed" >&2; exit 1; }
kind delete cluster --name "$KIND_CLUSTER_NAME"
