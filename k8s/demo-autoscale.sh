#!/usr/bin/env bash
# npm run demo:autoscale [-- burst options] — the premiere burst against premiere on kind: the
# cluster up (npm run cluster:up), the images built and loaded, the chart installed, the demo
# catalog loaded (its IMAX premiere opening sales two minutes later), the crowd, and the report
# with the pods of every Knative Service over time (up in the burst, back to zero after it), and
# which functions stay warm between sales and why (a schedule that pings them too often for zero).
# Needs docker, kind, kubectl and helm. Extra arguments go to npm run burst.
set -euo pipefail
cd "$(dirname "$0")/.."
NS=premiere
RELEASE=premiere
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "demo:autoscale: $tool is needed (see the README, Install on kind)" >&2; exit 1; }
done

npm run cluster:up
npm run build
version=$(node -p "require('./package.json').version")
for app in issue-token admit-batch reserve-seat process-payment render-catalog legacy-cinema payment-provider; do
  docker build --build-arg APP=$app -t dev.local/premiere-$app:$version .
  kind load docker-image --name premiere dev.local/premiere-$app:$version
done
# The crowd comes from this one machine: no per-address limit (joins, the address's share of a
# show's tokens, new tokens per address, seats held unpaid).
helm upgrade --install "$RELEASE" helm/premiere -n "$NS" --create-namespace --wait --timeout 10m \
  --set-string 'functions.issue-token.env.JOIN_RATE_PER_ADDRESS=0' \
  --set-string 'functions.issue-token.env.ADDRESS_TOKEN_CAP_MIN=0' \
  --set-string 'functions.issue-token.env.ADDRESS_TOKEN_CAP_SHARE=0' \
  --set-string 'functions.issue-token.env.ADDRESS_NEW_TOKEN_RATE=0' \
  --set-string 'functions.reserve-seat.env.ADDRESS_HELD_SEATS_SHARE=0'

# The demo catalog, and the legacy simulator's counters, through port-forwards.
kubectl -n "$NS" port-forward "svc/$RELEASE-postgresql" 15432:5432 >/dev/null &
pf_db=$!
kubectl -n "$NS" port-forward "svc/$RELEASE-legacy-cinema" 18081:80 >/dev/null &
pf_legacy=$!
trap 'kill $pf_db $pf_legacy 2>/dev/null || true' EXIT
sleep 3
db_url=$(kubectl -n "$NS" get secret "$RELEASE-backing" -o jsonpath='{.data.DATABASE_URL}' | base64 -d | sed -E 's#@[^/@]+/#@127.0.0.1:15432/#')
node -e "require('./local-stack/dist/demo-catalog').loadDemoCatalog(process.argv[1], new Date(), 120000).then((r) => console.log('demo catalog:', r.shows, 'shows'))" "$db_url"
admin_token=$(kubectl -n "$NS" get secret "$RELEASE-secrets" -o jsonpath='{.data.ADMIN_TOKEN}' | base64 -d)

# Which functions go back to zero between their schedules and which stay warm, and why: computed
# from what is installed (its PingSources and autoscaling), as chart:check computes it.
idle() { helm get manifest "$RELEASE" -n "$NS" | node helm/check/dist/idle-cli.js; }
idle

# Scale-to-zero takes a while after the burst (issue-token keeps its pods five minutes): watch it.
status=0
npm run burst -- --url http://127.0.0.1:8080 --admin-token "$admin_token" \
  --legacy-stats http://127.0.0.1:18081/stats --namespace "$NS" --watch-after 420 "$@" || status=$?
echo
idle
exit "$status"
