{{/* One step of the migration Job (migrations-job.yaml): `python -m helpdesk_<svc> <command>`
with the service's full environment, inline. */}}
{{- define "helpdesk.migrationContainer" -}}
{{- $root := .root -}}
{{- $step := .step -}}
- name: {{ $step.name }}-{{ $step.command }}
  image: {{ include "helpdesk.image" (dict "root" $root "name" $step.name) | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args: [{{ $step.command | quote }}]
  {{- with (index $root.Values $step.name).extraEnvFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    {{- range $k := keys .commonEnv | sortAlpha }}
    - name: {{ $k }}
      value: {{ index $.commonEnv $k | quote }}
    {{- end }}
    {{- include "helpdesk.serviceEnv" (dict "root" $root "name" $step.name) | trim | nindent 4 }}
  resources:
    {{- toYaml $root.Values.migrations.resources | nindent 4 }}
  securityContext:
    {{- include "helpdesk.containerSecurityContext" (dict "readOnly" $root.Values.securityContext.readOnlyRootFilesystem) | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
{{- end }}
