{{/* The name of a component: <release>-<component>, at most 63 characters. */}}
{{- define "premiere.name" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "premiere.labels" -}}
app.kubernetes.io/name: premiere
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/*
The OIDC audience of a function's Knative Service, by Knative's own convention
<group>/<kind>/<namespace>/<name> (lowercase): what its Triggers and PingSources ask the cluster to
sign tokens for, and what the function requires of them (EVENT_AUTH_AUDIENCE).
*/}}
{{- define "premiere.audience" -}}
{{- printf "serving.knative.dev/service/%s/%s" .root.Release.Namespace (include "premiere.name" .) | lower -}}
{{- end -}}

{{/* The image of an app (a function or a simulator). */}}
{{- define "premiere.image" -}}
{{- $v := .root.Values.image -}}
{{- with index $v.overrides .app }}{{ . }}{{ else -}}
{{- $name := printf "%s-%s:%s" $v.repository .app (default .root.Chart.AppVersion $v.tag) -}}
{{- if $v.registry }}{{ printf "%s/%s" $v.registry $name }}{{ else }}{{ $name }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* The declared eventing (subscriptions, schedules, delivery), shared with the local stack. */}}
{{- define "premiere.eventing" -}}
{{- .Files.Get "eventing.yaml" -}}
{{- end -}}

{{/* A container's securityContext: what Knative allows on the container (not the pod). */}}
{{- define "premiere.containerSecurity" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The Secret holding DATABASE_URL / REDIS_URL: the operator's, or the bundled tier's. */}}
{{- define "premiere.databaseSecret" -}}
{{- .Values.postgresql.existingSecret | default (include "premiere.name" (dict "root" . "component" "backing")) -}}
{{- end -}}
{{- define "premiere.redisSecret" -}}
{{- .Values.redis.existingSecret | default (include "premiere.name" (dict "root" . "component" "backing")) -}}
{{- end -}}

{{/* The Secret holding TOKEN_SIGNING_KEYS / ADMIN_TOKEN: the operator's, or the chart's. */}}
{{- define "premiere.appSecret" -}}
{{- .Values.secrets.existingSecret | default (include "premiere.name" (dict "root" . "component" "secrets")) -}}
{{- end -}}

{{/* The Secret holding PAYMENT_PROVIDER_API_KEY: the operator's (payment.existingSecret), else the app secret. */}}
{{- define "premiere.paymentSecret" -}}
{{- .Values.payment.existingSecret | default (include "premiere.appSecret" .) -}}
{{- end -}}

{{/*
Every Trigger's and the Broker's delivery: as eventing.yaml declares, plus the dead-letter sink:
admit-batch's POST /dead-letters, which stores each dead letter for operators to replay (the
broker's dispatcher presents a token of admit-batch's audience, as a Trigger does), or the
operator's own uri.
*/}}
{{- define "premiere.delivery" -}}
{{- $d := (include "premiere.eventing" . | fromYaml).delivery -}}
retry: {{ $d.retry }}
backoffPolicy: {{ $d.backoffPolicy }}
backoffDelay: {{ $d.backoffDelay }}
deadLetterSink:
  {{- if .Values.broker.deadLetters.uri }}
  uri: {{ .Values.broker.deadLetters.uri }}
  {{- else }}
  ref:
    apiVersion: serving.knative.dev/v1
    kind: Service
    name: {{ include "premiere.name" (dict "root" . "component" "admit-batch") }}
  uri: /dead-letters
  audience: {{ include "premiere.audience" (dict "root" . "component" "admit-batch") }}
  {{- end }}
{{- end -}}

{{/*
The bundled Redis replicated behind Sentinel (redis.replication): "true" or "". Only the bundled
Redis: a Redis of yours (redis.existingSecret) brings its own failover.
*/}}
{{- define "premiere.redisReplicated" -}}
{{- if and .Values.redis.bundled (not .Values.redis.existingSecret) .Values.redis.replication.enabled }}true{{ end -}}
{{- end -}}
{{/* The replicated Redis's StatefulSet and headless Service; its pods are <this>-<ordinal>. */}}
{{- define "premiere.redisHA" -}}
{{- include "premiere.name" (dict "root" . "component" "redis-ha") -}}
{{- end -}}
{{/* The name the sentinels monitor the primary under (one set of sentinels per release). */}}
{{- define "premiere.redisMaster" -}}premiere{{- end -}}
{{/* The sentinels, host:port comma-separated: what the functions' REDIS_SENTINELS lists. */}}
{{- define "premiere.redisSentinels" -}}
{{- $ha := include "premiere.redisHA" . -}}
{{- $nodes := list -}}
{{- range $i := until (int .Values.redis.replication.replicas) -}}
{{- $nodes = append $nodes (printf "%s-%d.%s.%s.svc.cluster.local:26379" $ha $i $ha $.Release.Namespace) -}}
{{- end -}}
{{- join "," $nodes -}}
{{- end -}}
