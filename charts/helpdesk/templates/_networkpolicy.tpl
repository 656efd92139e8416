{{/*
NetworkPolicy pieces (networkpolicies.yaml). Callers of each gRPC service come
from files/trust.json (the protos' access options); a rule is only written with
at least one peer, because a rule whose `from`/`to` is empty admits everyone.
*/}}

{{/* The enabled services among .names (a list), as a list. */}}
{{- define "helpdesk.enabledAmong" -}}
{{- $out := list -}}
{{- range $name := .names -}}
{{- if (index $.root.Values $name).enabled }}{{ $out = append $out $name }}{{ end -}}
{{- end -}}
{{- toJson $out -}}
{{- end }}

{{/* A peer: the release's pods of the services in .names. */}}
{{- define "helpdesk.servicePeer" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/instance: {{ .root.Release.Name }}
    matchExpressions:
      - key: app.kubernetes.io/name
        operator: In
        values: {{ toJson .names }}
{{- end }}

{{/* A peer: the release's pods of one component (migrations, helm-test...). */}}
{{- define "helpdesk.componentPeer" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/instance: {{ .root.Release.Name }}
      app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The gRPC services that service .name may call (it is among their callers), enabled ones only. */}}
{{- define "helpdesk.grpcCallees" -}}
{{- $trust := include "helpdesk.trust" .root | fromJson -}}
{{- $out := list -}}
{{- range $callee := splitList " " (include "helpdesk.serviceNames" .root) -}}
{{- if and (index $.root.Values $callee).enabled (has $.name (index $trust.grpcCallers $callee | default list)) -}}
{{- $out = append $out $callee -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end }}

{{/* Egress to DNS: the configured peers, or any address when none are given. */}}
{{- define "helpdesk.dnsEgress" -}}
- {{- with .Values.networkPolicy.dns }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end }}

{{/*
Egress to a dependency: the built-in one's pods (.builtin: its name, when enabled)
on .port, else the operator's rules for the external one (.rules).
*/}}
{{- define "helpdesk.dependencyEgress" -}}
{{- if .builtin }}
- to:
    - podSelector:
        matchLabels:
          {{- include "helpdesk.selectorLabels" (dict "root" .root "name" .builtin) | nindent 10 }}
  ports:
    - {port: {{ .port }}, protocol: TCP}
{{- else if .rules }}
{{ toYaml .rules }}
{{- end }}
{{- end }}

{{/* The egress rules of service .name: DNS, the services it calls, its dependencies, what it reaches outside. */}}
{{- define "helpdesk.serviceEgress" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $np := $v.networkPolicy -}}
{{- $svc := index $v .name -}}
{{- include "helpdesk.dnsEgress" $root }}
{{- $callees := include "helpdesk.grpcCallees" . | fromJsonArray }}
{{- if $callees }}
- to:
    {{- include "helpdesk.servicePeer" (dict "root" $root "names" $callees) | nindent 4 }}
  ports:
    - {port: 50051, protocol: TCP}
{{- end }}
{{- if and (eq .name "gateway") $v.realtime.enabled }}
# /ws is relayed to realtime; the system page reads realtime's /readyz.
- to:
    {{- include "helpdesk.servicePeer" (dict "root" $root "names" (list "realtime")) | nindent 4 }}
  ports:
    - {port: 8000, protocol: TCP}
    - {port: 9000, protocol: TCP}
{{- end }}
{{- if $svc.database }}
{{- include "helpdesk.dependencyEgress" (dict "root" $root "builtin" (ternary "postgresql" "" $v.postgresql.enabled) "port" 5432 "rules" $np.egress.database) }}
{{- end }}
{{- if include "helpdesk.usesNats" . }}
{{- include "helpdesk.dependencyEgress" (dict "root" $root "builtin" (ternary "nats" "" $v.nats.enabled) "port" 4222 "rules" $np.egress.nats) }}
{{- end }}
{{- include "helpdesk.dependencyEgress" (dict "root" $root "builtin" (ternary "redis" "" $v.redis.enabled) "port" 6379 "rules" $np.egress.redis) }}
{{- if and (eq .name "tickets") (eq $v.attachments.storage "s3") $np.egress.s3 }}
{{ toYaml $np.egress.s3 }}
{{- end }}
{{- if and $v.telemetry.otlpEndpoint $np.egress.telemetry }}
{{ toYaml $np.egress.telemetry }}
{{- end }}
{{- if and (eq .name "identity") $np.egress.identity }}
{{ toYaml $np.egress.identity }}
{{- end }}
{{- if and (eq .name "notify") $np.egress.notify }}
{{ toYaml $np.egress.notify }}
{{- end }}
{{- end }}

{{/* The ingress rules of service .name: http from the edge, gRPC from its callers, ops from monitoring. */}}
{{- define "helpdesk.serviceIngress" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $np := $v.networkPolicy -}}
{{- $svc := index $v .name -}}
{{- $public := has .name (list "gateway" "realtime") -}}
{{- $test := and $v.helmTest.enabled $v.gateway.enabled $public -}}
{{- if or (and $public $np.ingressControllers) (and (eq .name "realtime") $v.gateway.enabled) $test }}
# http: the ingress controller (and for realtime the gateway, which relays /ws).
- from:
    {{- if $public }}{{ with $np.ingressControllers }}{{ toYaml . | nindent 4 }}{{ end }}{{ end }}
    {{- if and (eq .name "realtime") $v.gateway.enabled }}
    {{- include "helpdesk.servicePeer" (dict "root" $root "names" (list "gateway")) | nindent 4 }}
    {{- end }}
    {{- if $test }}
    {{- include "helpdesk.componentPeer" (dict "root" $root "component" "helm-test") | nindent 4 }}
    {{- end }}
  ports:
    - {port: http, protocol: TCP}
{{- end }}
{{- if $svc.grpc }}
{{- $trust := include "helpdesk.trust" $root | fromJson }}
{{- $callers := include "helpdesk.enabledAmong" (dict "root" $root "names" (index $trust.grpcCallers .name | default list)) | fromJsonArray }}
{{- if $callers }}
# gRPC: the services its methods admit (the protos' access options).
- from:
    {{- include "helpdesk.servicePeer" (dict "root" $root "names" $callers) | nindent 4 }}
  ports:
    - {port: grpc, protocol: TCP}
{{- end }}
{{- end }}
{{- if or $np.monitoring (and (eq .name "realtime") $v.gateway.enabled) $test }}
# ops (/metrics, /healthz, /readyz): monitoring; realtime's also the gateway's system page.
- from:
    {{- with $np.monitoring }}{{ toYaml . | nindent 4 }}{{ end }}
    {{- if and (eq .name "realtime") $v.gateway.enabled }}
    {{- include "helpdesk.servicePeer" (dict "root" $root "names" (list "gateway")) | nindent 4 }}
    {{- end }}
    {{- if $test }}
    {{- include "helpdesk.componentPeer" (dict "root" $root "component" "helm-test") | nindent 4 }}
    {{- end }}
  ports:
    - {port: ops, protocol: TCP}
{{- end }}
{{- end }}
