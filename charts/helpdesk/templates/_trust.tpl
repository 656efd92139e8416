{{/*
Trust between services (docs/adr/0008-trust-between-services.md): each service's
certificate, its own database role and NATS user, and its key ring for secrets at
rest. Who may call whom and what each NATS user may do come from
files/trust.json, which tools/chart_trust.py writes from proto/ and devstack.toml.
*/}}

{{/* files/trust.json as a map: grpcCallers, nats, databases. */}}
{{- define "helpdesk.trust" -}}
{{- .Files.Get "files/trust.json" -}}
{{- end }}

{{/* The services that seal secrets at rest (their Settings take SealingSettings): they get HELPDESK_SECRET_KEYS. */}}
{{- define "helpdesk.sealingServices" -}}
identity notify
{{- end }}

{{/* Whether service .name connects to NATS (it has a NATS user): "true" or "". */}}
{{- define "helpdesk.usesNats" -}}
{{- $trust := include "helpdesk.trust" .root | fromJson -}}
{{- if hasKey $trust.nats .name }}true{{ end -}}
{{- end }}

{{/* Whether service .name seals secrets: "true" or "". */}}
{{- define "helpdesk.sealsSecrets" -}}
{{- if has .name (splitList " " (include "helpdesk.sealingServices" .root)) }}true{{ end -}}
{{- end }}

{{/* <release>-<service>-credentials: the chart's Secret of one service's own logins and keys. */}}
{{- define "helpdesk.credentialsName" -}}
{{- printf "%s-%s-credentials" .root.Release.Name .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret holding service .name's certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "helpdesk.tlsSecretName" -}}
{{- $tls := .root.Values.tls -}}
{{- if eq $tls.mode "existingSecrets" -}}
{{- $name := index $tls.existingSecrets .name | default "" -}}
{{- if not $name }}{{ fail (printf "tls.mode is existingSecrets: set tls.existingSecrets.%s (a Secret with tls.crt, tls.key, ca.crt)" .name) }}{{ end -}}
{{- $name -}}
{{- else -}}
{{- printf "%s-%s-tls" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{- define "helpdesk.meshCaName" -}}
{{- printf "%s-mesh-ca" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
A pod annotation that changes when service .name's certificate Secret changed in
the cluster (lookup: a renewed or re-issued certificate), so that the next `helm
upgrade` restarts the pods, which read their certificate at start.
*/}}
{{- define "helpdesk.tlsChecksum" -}}
{{- $name := include "helpdesk.tlsSecretName" . -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace $name -}}
{{- list .root.Values.tls ($existing.data | default dict) | toJson | sha256sum -}}
{{- end }}

{{/*
Where a service's secret settings come from, as (dict "secret" name "key" key):
an existing Secret named for the service, else the chart's credentials Secret.
Call with (dict "root" $ "name" "tickets").
*/}}
{{- define "helpdesk.secretRef.database" -}}
{{- $v := .root.Values.externalDatabase -}}
{{- $existing := index $v.existingSecrets .name | default "" -}}
{{- if and (not .root.Values.postgresql.enabled) $existing -}}
{{- dict "secret" $existing "key" $v.existingSecretKey | toYaml -}}
{{- else -}}
{{- dict "secret" (include "helpdesk.credentialsName" .) "key" "HELPDESK_DATABASE_URL" | toYaml -}}
{{- end -}}
{{- end }}

{{- define "helpdesk.secretRef.nats" -}}
{{- $v := .root.Values.externalNats -}}
{{- $existing := index $v.existingSecrets .name | default "" -}}
{{- if and (not .root.Values.nats.enabled) $existing -}}
{{- dict "secret" $existing "key" $v.existingSecretKey | toYaml -}}
{{- else -}}
{{- dict "secret" (include "helpdesk.credentialsName" .) "key" "HELPDESK_NATS_URL" | toYaml -}}
{{- end -}}
{{- end }}

{{- define "helpdesk.secretRef.secretKeys" -}}
{{- $v := .root.Values.secretKeys -}}
{{- $existing := index $v.existingSecrets .name | default "" -}}
{{- if $existing -}}
{{- dict "secret" $existing "key" $v.existingSecretKey | toYaml -}}
{{- else -}}
{{- dict "secret" (include "helpdesk.credentialsName" .) "key" "HELPDESK_SECRET_KEYS" | toYaml -}}
{{- end -}}
{{- end }}

{{/*
A generated value kept across upgrades: the one already in Secret .secret under
.key, else a new one (.kind "password": 32 letters and digits, which need no
quoting in URLs or the NATS configuration; "sealingKey": a key ring of one key).
*/}}
{{- define "helpdesk.keptValue" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $existing (hasKey ($existing.data | default dict) .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else if eq .kind "sealingKey" -}}
{{- printf "k%s:%s" (randAlphaNum 8 | lower) (randBytes 32) -}}
{{- else -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end }}

{{/*
The data of service .name's credentials Secret (credentials.yaml) as a YAML map:
what is not taken from an existing Secret. With the built-in PostgreSQL and NATS
the chart makes the service's role and user (passwords generated once); with
external ones it keeps the URL given in externalDatabase.urls / externalNats.urls.
Include it once per render for the Secret: it may generate values.
*/}}
{{- define "helpdesk.credentialsData" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $svc := index $root.Values $name -}}
{{- $secret := include "helpdesk.credentialsName" . -}}
{{- $data := dict -}}
{{- if $svc.database -}}
{{- if $root.Values.postgresql.enabled -}}
{{- $pw := include "helpdesk.keptValue" (dict "root" $root "secret" $secret "key" "database-password" "kind" "password") -}}
{{- $host := include "helpdesk.fullname" (dict "root" $root "name" "postgresql") -}}
{{- $_ := set $data "database-password" $pw -}}
{{- $_ := set $data "HELPDESK_DATABASE_URL" (printf "postgresql://%s:%s@%s:5432/%s" $name $pw $host $root.Values.postgresql.database) -}}
{{- else if not (index $root.Values.externalDatabase.existingSecrets $name) -}}
{{- $url := index $root.Values.externalDatabase.urls $name | default "" -}}
{{- if not $url }}{{ fail (printf "postgresql.enabled is false: set externalDatabase.urls.%s or externalDatabase.existingSecrets.%s (the %s role's URL)" $name $name $name) }}{{ end -}}
{{- $_ := set $data "HELPDESK_DATABASE_URL" $url -}}
{{- end -}}
{{- end -}}
{{- if include "helpdesk.usesNats" . -}}
{{- if $root.Values.nats.enabled -}}
{{- $pw := include "helpdesk.keptValue" (dict "root" $root "secret" $secret "key" "nats-password" "kind" "password") -}}
{{- $host := include "helpdesk.fullname" (dict "root" $root "name" "nats") -}}
{{- $_ := set $data "nats-password" $pw -}}
{{- $_ := set $data "HELPDESK_NATS_URL" (printf "nats://%s:%s@%s:4222" $name $pw $host) -}}
{{- else if not (index $root.Values.externalNats.existingSecrets $name) -}}
{{- $url := index $root.Values.externalNats.urls $name | default "" -}}
{{- if not $url }}{{ fail (printf "nats.enabled is false: set externalNats.urls.%s or externalNats.existingSecrets.%s (the %s user's URL)" $name $name $name) }}{{ end -}}
{{- $_ := set $data "HELPDESK_NATS_URL" $url -}}
{{- end -}}
{{- end -}}
{{- if and (include "helpdesk.sealsSecrets" .) (not (index $root.Values.secretKeys.existingSecrets $name)) -}}
{{- $_ := set $data "HELPDESK_SECRET_KEYS" (include "helpdesk.keptValue" (dict "root" $root "secret" $secret "key" "HELPDESK_SECRET_KEYS" "kind" "sealingKey")) -}}
{{- end -}}
{{- if $data }}
{{- toYaml $data }}
{{- end }}
{{- end }}

{{/* serviceTlsVolume / serviceTlsMount / serviceTlsEnv: the pod's certificate, read-only. */}}
{{- define "helpdesk.serviceTlsVolume" -}}
- name: mesh-tls
  secret:
    secretName: {{ include "helpdesk.tlsSecretName" . }}
    # Readable by the pod's group (fsGroup) only.
    defaultMode: 0440
    items:
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
      - {key: ca.crt, path: ca.crt}
{{- end }}

{{- define "helpdesk.serviceTlsMount" -}}
- name: mesh-tls
  mountPath: {{ .root.Values.tls.mountPath }}
  readOnly: true
{{- end }}

{{/*
The nats-server `authorization` block of the quick-start NATS: one user per name in
.users, with its permissions from files/trust.json and its password from the
environment variable NATS_PASSWORD_<SERVICE> (nats-server resolves $NAME from the
environment), and the operator's `admin`. Permissions are JSON, which
nats-server's configuration accepts.
*/}}
{{- define "helpdesk.natsAuthorization" -}}
{{- $trust := include "helpdesk.trust" .root | fromJson -}}
# One user per service (charts/helpdesk/files/trust.json); no anonymous access.
authorization {
  users: [
{{- range $name := .users }}
    {user: {{ $name | quote }}, password: {{ printf "$NATS_PASSWORD_%s" (upper $name) }}, permissions: {{ index $trust.nats $name | toRawJson }}}
{{- end }}
    # The operator's (backups, the nats CLI); its password is in the release's Secret.
    {user: "admin", password: $NATS_PASSWORD_ADMIN, permissions: {{ $trust.natsAdmin | toRawJson }}}
  ]
}
{{- end }}
