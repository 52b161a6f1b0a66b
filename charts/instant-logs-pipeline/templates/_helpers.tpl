{{/* The LogPipeline's name: .Values.name, else the release name. */}}
{{- define "instant-logs-pipeline.name" -}}
{{- $name := default .Release.Name .Values.name }}
{{- if or (gt (len $name) 40) (not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name)) }}
{{- fail (printf "LogPipeline name %q (the release name, or set name) must be a DNS label of at most 40 characters starting with a letter" $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{/* The Strimzi Kafka resource's name. */}}
{{- define "instant-logs-pipeline.kafkaName" -}}
{{- default (printf "%s-kafka" (include "instant-logs-pipeline.name" .)) .Values.kafka.strimzi.name }}
{{- end }}

{{/* kafka.strimzi.io/v1 (Strimzi 0.49 and later) when the cluster serves it, else v1beta2; v1 when nothing is known (helm template). */}}
{{- define "instant-logs-pipeline.strimziApiVersion" -}}
{{- $caps := .Capabilities.APIVersions }}
{{- if .Values.kafka.strimzi.apiVersion }}{{ .Values.kafka.strimzi.apiVersion }}
{{- else if $caps.Has "kafka.strimzi.io/v1/Kafka" }}kafka.strimzi.io/v1
{{- else if $caps.Has "kafka.strimzi.io/v1beta2/Kafka" }}kafka.strimzi.io/v1beta2
{{- else if $caps.Has "kafka.strimzi.io/v1" }}kafka.strimzi.io/v1
{{- else if $caps.Has "kafka.strimzi.io/v1beta2" }}kafka.strimzi.io/v1beta2
{{- else }}kafka.strimzi.io/v1
{{- end }}
{{- end }}

{{/* Labels of every object of the release (not of the pods the operator makes). */}}
{{- define "instant-logs-pipeline.labels" -}}
app.kubernetes.io/name: instant-logs
app.kubernetes.io/instance: {{ include "instant-logs-pipeline.name" . }}
app.kubernetes.io/part-of: instant-logs
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels the operator puts on a component's pods (operator/src/desired/labels.ts selectorLabels). */}}
{{- define "instant-logs-pipeline.podSelector" -}}
app.kubernetes.io/name: instant-logs
app.kubernetes.io/instance: {{ include "instant-logs-pipeline.name" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The LogPipeline spec from the values, as JSON: chart-only keys dropped, one Kafka and one ClickHouse chosen. */}}
{{- define "instant-logs-pipeline.spec" -}}
{{- $v := .Values }}
{{- $strimzi := $v.kafka.strimzi }}
{{- $kafka := deepCopy (omit $v.kafka "strimzi" "cluster" "bootstrapServers") }}
{{- if and $v.kafka.cluster $v.kafka.bootstrapServers }}
{{- fail "set only one of kafka.cluster and kafka.bootstrapServers" }}
{{- else if $v.kafka.bootstrapServers }}
{{- $_ := set $kafka "bootstrapServers" $v.kafka.bootstrapServers }}
{{- else if $v.kafka.cluster }}
{{- $_ := set $kafka "cluster" $v.kafka.cluster }}
{{- else if $strimzi.create }}
{{- $_ := set $kafka "cluster" (include "instant-logs-pipeline.kafkaName" .) }}
{{- else }}
{{- fail "the pipeline needs a Kafka: set kafka.cluster (a Strimzi Kafka in this namespace), kafka.bootstrapServers, or kafka.strimzi.create=true" }}
{{- end }}
{{- if and $strimzi.create (eq (toString $kafka.cluster) (include "instant-logs-pipeline.kafkaName" .)) }}
{{- $topic := default dict $kafka.topic }}
{{- $brokers := int $strimzi.replicas }}
{{- if not (hasKey $topic "replicas") }}
{{- $_ := set $topic "replicas" (min 3 $brokers) }}
{{- else if gt (int $topic.replicas) $brokers }}
{{- fail (printf "kafka.topic.replicas (%d) exceeds kafka.strimzi.replicas (%d): the topics could never be created" (int $topic.replicas) $brokers) }}
{{- end }}
{{- $_ := set $kafka "topic" $topic }}
{{- end }}
{{- $clickhouse := dict }}
{{- if $v.clickhouse.external }}
{{- $_ := set $clickhouse "external" $v.clickhouse.external }}
{{- else }}
{{- $_ := set $clickhouse "managed" (default dict $v.clickhouse.managed) }}
{{- end }}
{{- $spec := dict "kafka" $kafka "clickhouse" $clickhouse }}
{{- range $key := list "retentionDays" "auth" "tls" "tenants" "tenantDefaults" "collector" "processor" "query" "dashboard" "telemetry" "images" }}
{{- if hasKey $v $key }}
{{- $_ := set $spec $key (get $v $key) }}
{{- end }}
{{- end }}
{{- toJson $spec }}
{{- end }}
