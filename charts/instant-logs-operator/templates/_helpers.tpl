{{/* The chart's name, at most 63 characters. */}}
{{- define "instant-logs-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's objects' name: the release name when it already contains the chart name. */}}
{{- define "instant-logs-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels the Deployment's selector matches; never change them (selectors are immutable). */}}
{{- define "instant-logs-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "instant-logs-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "instant-logs-operator.labels" -}}
{{ include "instant-logs-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: instant-logs
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "instant-logs-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "instant-logs-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository@digest when a digest is given, else repository:tag (default: the appVersion). */}}
{{- define "instant-logs-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Whether the cluster serves the Prometheus Operator's API (or helm template was told so with --api-versions). */}}
{{- define "instant-logs-operator.prometheusOperator" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}true{{ end }}
{{- end }}

{{/* The generated RBAC rules (scripts/chart-sync.ts from operator/src/rbac.ts). */}}
{{- define "instant-logs-operator.rules" -}}
{{- $rules := .Files.Get "generated/rbac-rules.yaml" | fromYaml }}
{{- if not $rules.clusterRules }}
{{- fail "generated/rbac-rules.yaml is missing or empty: run make charts" }}
{{- end }}
{{- toJson $rules }}
{{- end }}

{{/* Refuses combinations that install but cannot work. */}}
{{- define "instant-logs-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled=true: without a leader every replica would reconcile the same LogPipelines and fight over their objects" }}
{{- end }}
{{- end }}

{{/* A DNS subdomain name from any text (a file name): lower case, other characters as "-". */}}
{{- define "instant-logs-operator.dnsName" -}}
{{- regexReplaceAll "[^a-z0-9.-]+" (lower .) "-" | trunc 253 | trimSuffix "-" }}
{{- end }}
