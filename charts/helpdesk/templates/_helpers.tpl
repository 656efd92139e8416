{{/*
Shared helpers. Names are <release>-<component>: the services find each other
at <release>-<svc>:50051 (gRPC) and http://<release>-<svc>:8000.
*/}}

{{/* The eight services, in migration order. */}}
{{- define "helpdesk.serviceNames" -}}
identity tickets sla notify mailin portal gateway realtime
{{- end }}

{{- define "helpdesk.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<name>; call with (dict "root" $ "name" "identity"). */}}
{{- define "helpdesk.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "helpdesk.secretName" -}}
{{- printf "%s-secrets" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The headless Service of a gRPC service: its DNS name resolves to every ready pod. */}}
{{- define "helpdesk.grpcServiceName" -}}
{{- printf "%s-%s-grpc" .root.Release.Name .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "helpdesk.configMapName" -}}
{{- printf "%s-env" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels; call with (dict "root" $ "name" "identity"). */}}
{{- define "helpdesk.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{- define "helpdesk.labels" -}}
helm.sh/chart: {{ include "helpdesk.chart" .root }}
{{ include "helpdesk.selectorLabels" . }}
app.kubernetes.io/component: {{ .component | default .name }}
app.kubernetes.io/part-of: helpdesk
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* Labels of release-wide objects (Secret, ConfigMap, Ingress, Job). */}}
{{- define "helpdesk.releaseLabels" -}}
helm.sh/chart: {{ include "helpdesk.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: helpdesk
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Image of a service: the service's image.repository or
[<image.registry>/]<image.repositoryPrefix>/<name>; tag: the service's, the
chart-wide one, or appVersion; "@<digest>" when a digest is given (skaffold).
*/}}
{{- define "helpdesk.image" -}}
{{- $v := index .root.Values .name -}}
{{- $g := .root.Values.image -}}
{{- $repo := $v.image.repository -}}
{{- if not $repo -}}
{{- $repo = printf "%s/%s" $g.repositoryPrefix .name -}}
{{- if $g.registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" $g.registry) $repo }}{{ end -}}
{{- end -}}
{{- $tag := $v.image.tag | default $g.tag | default .root.Chart.AppVersion -}}
{{- $ref := printf "%s:%s" $repo $tag -}}
{{- if $v.image.digest }}{{ $ref = printf "%s@%s" $ref $v.image.digest }}{{ end -}}
{{- $ref -}}
{{- end }}

{{/* HELPDESK_PUBLIC_URL. */}}
{{- define "helpdesk.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- else -}}
{{- printf "http://%s:8000" (include "helpdesk.fullname" (dict "root" . "name" "gateway")) -}}
{{- end -}}
{{- end }}

{{/*
The environment every service shares, as a YAML map: the ConfigMap's data and,
inline, the migration Job's env (the Job is a pre-install hook and runs before
the ConfigMap exists).
*/}}
{{- define "helpdesk.commonEnv" -}}
HELPDESK_HTTP_PORT: "8000"
HELPDESK_GRPC_PORT: "50051"
HELPDESK_OPS_PORT: "9000"
# Pods listen on every interface (make run keeps 127.0.0.1).
HELPDESK_BIND_HOST: "0.0.0.0"
HELPDESK_NATS_STREAM_REPLICAS: {{ .Values.jetstream.replicas | quote }}
HELPDESK_LOG_LEVEL: {{ .Values.logLevel | quote }}
HELPDESK_PUBLIC_URL: {{ include "helpdesk.publicUrl" . | quote }}
{{- with .Values.telemetry.otlpEndpoint }}
HELPDESK_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- range $name := splitList " " (include "helpdesk.serviceNames" .) }}
{{- $svc := index $.Values $name }}
{{- if $svc.enabled }}
{{- $host := include "helpdesk.fullname" (dict "root" $ "name" $name) }}
{{- if $svc.grpc }}
{{- /* Every replica's address (the headless Service): clients spread calls over them
(docs/adr/0009-grpc-load-spreading.md). */}}
HELPDESK_{{ upper $name }}_ADDR: {{ printf "dns:///%s:50051" (include "helpdesk.grpcServiceName" (dict "root" $ "name" $name)) | quote }}
{{- end }}
HELPDESK_{{ upper $name }}_URL: {{ printf "http://%s:8000" $host | quote }}
HELPDESK_{{ upper $name }}_OPS_URL: {{ printf "http://%s:9000" $host | quote }}
{{- end }}
{{- end }}
{{- range $k, $v := .Values.extraEnv }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

{{/*
Where a shared secret setting comes from: (dict "secret" name "key" key). The
chart's Secret unless the built-in dependency is off and an existing Secret is
named. (Each service's own logins: helpdesk.secretRef.* in _trust.tpl.)
*/}}
{{- define "helpdesk.secretRef.redis" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.existingSecret -}}
{{- dict "secret" .Values.externalRedis.existingSecret "key" .Values.externalRedis.existingSecretKey | toYaml -}}
{{- else -}}
{{- dict "secret" (include "helpdesk.secretName" .) "key" "HELPDESK_REDIS_URL" | toYaml -}}
{{- end -}}
{{- end }}

{{- define "helpdesk.secretRef.admin" -}}
{{- if .Values.admin.existingSecret -}}
{{- dict "secret" .Values.admin.existingSecret "key" .Values.admin.existingSecretKey | toYaml -}}
{{- else -}}
{{- dict "secret" (include "helpdesk.secretName" .) "key" "HELPDESK_ADMIN_PASSWORD" | toYaml -}}
{{- end -}}
{{- end }}

{{- define "helpdesk.secretEnvVar" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .ref.secret }}
      key: {{ .ref.key }}
{{- end }}

{{/*
Per-service wiring, all in one place: a service container's own env, envFrom,
volumes and mounts (the shared env comes from the ConfigMap or, in the migration
Job, from helpdesk.commonEnv). Call each with (dict "root" $ "name" "identity").

serviceEnv: its connection secrets (its own database role and NATS user, the
shared Redis), its key ring for secrets at rest, what only it needs (identity: the
admin password; tickets: where attachments live; gateway: the edge settings), its
extraEnv and extraSecretEnv. The pods add their certificate (helpdesk.serviceTls*),
which the migration steps do not need.
*/}}
{{- define "helpdesk.serviceEnv" -}}
{{- $root := .root -}}
{{- $svc := index $root.Values .name -}}
{{- if $svc.database }}
{{ include "helpdesk.secretEnvVar" (dict "env" "HELPDESK_DATABASE_URL" "ref" (include "helpdesk.secretRef.database" . | fromYaml)) }}
{{- end }}
{{- if include "helpdesk.usesNats" . }}
{{ include "helpdesk.secretEnvVar" (dict "env" "HELPDESK_NATS_URL" "ref" (include "helpdesk.secretRef.nats" . | fromYaml)) }}
{{- end }}
{{ include "helpdesk.secretEnvVar" (dict "env" "HELPDESK_REDIS_URL" "ref" (include "helpdesk.secretRef.redis" $root | fromYaml)) }}
{{- if include "helpdesk.sealsSecrets" . }}
{{ include "helpdesk.secretEnvVar" (dict "env" "HELPDESK_SECRET_KEYS" "ref" (include "helpdesk.secretRef.secretKeys" . | fromYaml)) }}
{{- end }}
{{- if eq .name "gateway" }}
{{- include "helpdesk.edgeEnv" $root }}
{{- end }}
{{- if eq .name "identity" }}
{{ include "helpdesk.secretEnvVar" (dict "env" "HELPDESK_ADMIN_PASSWORD" "ref" (include "helpdesk.secretRef.admin" $root | fromYaml)) }}
{{- end }}
{{- if eq .name "tickets" }}
{{- include "helpdesk.attachmentsEnv" $root }}
{{- end }}
{{- range $k, $v := $svc.extraEnv }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- range $k, $ref := $svc.extraSecretEnv }}
{{ include "helpdesk.secretEnvVar" (dict "env" $k "ref" (dict "secret" $ref.name "key" $ref.key)) }}
{{- end }}
{{- end }}

{{/* serviceEnvFrom: the shared ConfigMap, then the service's extraEnvFrom. */}}
{{- define "helpdesk.serviceEnvFrom" -}}
{{- $svc := index .root.Values .name -}}
- configMapRef:
    name: {{ include "helpdesk.configMapName" .root }}
{{- with $svc.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
serviceVolumes / serviceVolumeMounts: every path the container writes is one of
these (the root file system is read-only): /tmp for all, the attachments volume
for tickets, and the service's extraVolumes / extraVolumeMounts.
*/}}
{{- define "helpdesk.serviceVolumes" -}}
{{- $root := .root -}}
{{- $svc := index $root.Values .name -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $root.Values.tmpVolume.sizeLimit }}
{{- if and (eq .name "tickets") (eq $root.Values.attachments.storage "pvc") }}
- name: attachments
  persistentVolumeClaim:
    claimName: {{ include "helpdesk.attachmentsClaimName" $root }}
{{- end }}
{{- with $svc.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "helpdesk.serviceVolumeMounts" -}}
{{- $root := .root -}}
{{- $svc := index $root.Values .name -}}
- name: tmp
  mountPath: /tmp
{{- if and (eq .name "tickets") (eq $root.Values.attachments.storage "pvc") }}
- name: attachments
  mountPath: {{ $root.Values.attachments.mountPath }}
{{- end }}
{{- with $svc.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Where tickets keeps attachments: HELPDESK_FILES_DIR on the claim, or the S3 bucket. */}}
{{- define "helpdesk.attachmentsEnv" -}}
{{- $a := .Values.attachments -}}
{{- if eq $a.storage "s3" }}
- name: HELPDESK_S3_BUCKET
  value: {{ $a.s3.bucket | quote }}
- name: HELPDESK_S3_ENDPOINT_URL
  value: {{ $a.s3.endpointUrl | quote }}
- name: HELPDESK_S3_REGION
  value: {{ $a.s3.region | quote }}
{{- with $a.s3.existingSecret }}
{{ include "helpdesk.secretEnvVar" (dict "env" "HELPDESK_S3_ACCESS_KEY" "ref" (dict "secret" . "key" $a.s3.accessKeyIdKey)) }}
{{ include "helpdesk.secretEnvVar" (dict "env" "HELPDESK_S3_SECRET_KEY" "ref" (dict "secret" . "key" $a.s3.secretAccessKeyKey)) }}
{{- end }}
{{- else }}
- name: HELPDESK_FILES_DIR
  value: {{ $a.mountPath | quote }}
{{- end }}
{{- end }}

{{- define "helpdesk.attachmentsClaimName" -}}
{{- .Values.attachments.persistence.existingClaim | default (printf "%s-attachments" .Release.Name | trunc 63 | trimSuffix "-") -}}
{{- end }}

{{/* ReadWriteMany when tickets may run more than one pod (they may land on different nodes). */}}
{{- define "helpdesk.attachmentsAccessMode" -}}
{{- $t := .Values.tickets -}}
{{- $many := ternary (gt (int $t.autoscaling.maxReplicas) 1) (gt (int $t.replicaCount) 1) $t.autoscaling.enabled -}}
{{- .Values.attachments.persistence.accessMode | default (ternary "ReadWriteMany" "ReadWriteOnce" $many) -}}
{{- end }}

{{/* Pod-level security context of the services and the migration Job. */}}
{{- define "helpdesk.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level security context; call with (dict "readOnly" bool). */}}
{{- define "helpdesk.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .readOnly }}
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
A password kept across upgrades: the value given, else the one already in the
release's Secret, else a new random one. (lookup finds nothing under `helm
template`, which therefore renders a fresh random value.)
Call with (dict "root" $ "key" "postgres-password" "value" .Values.postgresql.password).
*/}}
{{- define "helpdesk.password" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace (include "helpdesk.secretName" .root) -}}
{{- if and $existing (hasKey ($existing.data | default dict) .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/* The hook on which the migration Job runs at install time. */}}
{{- define "helpdesk.migrationInstallHook" -}}
{{- $hook := .Values.migrations.installHook -}}
{{- if eq $hook "auto" -}}
{{- $hook = ternary "post-install" "pre-install" .Values.postgresql.enabled -}}
{{- end -}}
{{- $hook -}}
{{- end }}

{{/*
The data of the release's Secret (secret.yaml) as a YAML map: the built-in
PostgreSQL's superuser password, the built-in NATS's admin password, Redis, the
admin password, where not taken from an existing Secret. Include it once per
render: it may generate passwords.
*/}}
{{- define "helpdesk.secretData" -}}
{{- $data := dict -}}
{{- if .Values.postgresql.enabled -}}
{{- $_ := set $data "postgres-password" (include "helpdesk.password" (dict "root" . "key" "postgres-password" "value" .Values.postgresql.password)) -}}
{{- end -}}
{{- if .Values.nats.enabled -}}
{{- $_ := set $data "nats-admin-password" (include "helpdesk.password" (dict "root" . "key" "nats-admin-password" "value" "")) -}}
{{- end -}}
{{- if .Values.redis.enabled -}}
{{- $pw := include "helpdesk.password" (dict "root" . "key" "redis-password" "value" .Values.redis.password) -}}
{{- $_ := set $data "redis-password" $pw -}}
{{- $_ := set $data "HELPDESK_REDIS_URL" (printf "redis://:%s@%s:6379/0" (urlquery $pw) (include "helpdesk.fullname" (dict "root" . "name" "redis"))) -}}
{{- else if and .Values.externalRedis.url (not .Values.externalRedis.existingSecret) -}}
{{- $_ := set $data "HELPDESK_REDIS_URL" .Values.externalRedis.url -}}
{{- end -}}
{{- if not .Values.admin.existingSecret -}}
{{- $_ := set $data "HELPDESK_ADMIN_PASSWORD" (include "helpdesk.password" (dict "root" . "key" "HELPDESK_ADMIN_PASSWORD" "value" .Values.admin.password)) -}}
{{- end -}}
{{- if $data }}
{{- toYaml $data }}
{{- end }}
{{- end }}

{{/*
The gateway's edge settings: which proxies it believes (X-Forwarded-For/-Proto)
and how large a body it reads. The Ingress's body limit is derived from the same
values (helpdesk.ingressBodyLimit).
*/}}
{{- define "helpdesk.edgeEnv" -}}
{{- $e := .Values.edge }}
{{- with $e.trustedProxies }}
- name: HELPDESK_TRUSTED_PROXIES
  value: {{ join "," . | quote }}
{{- end }}
- name: HELPDESK_MAX_JSON_BODY_BYTES
  value: {{ $e.maxJsonBodyBytes | int64 | toString | quote }}
- name: HELPDESK_MAX_UPLOAD_BODY_BYTES
  value: {{ $e.maxUploadBodyBytes | int64 | toString | quote }}
{{- end }}

{{/* nginx's proxy-body-size: the upload limit plus the margin, rounded up to MiB. */}}
{{- define "helpdesk.ingressBodyLimit" -}}
{{- $e := .Values.edge -}}
{{- $mib := 1048576 -}}
{{- printf "%dm" (div (add (int64 $e.maxUploadBodyBytes) (int64 $e.proxyBodyMarginBytes) (sub $mib 1)) $mib) -}}
{{- end }}
