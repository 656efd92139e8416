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

{{/*
The built-in PostgreSQL's admin step (migrations-job.yaml): as the superuser, a
login role per enabled service with a database, its password from the service's
credentials Secret, owning the schema of its name and nothing else; the
extensions its migrations use (files/trust.json), which only a superuser may
create; objects a release before roles existed made as the superuser handed over
to the role; `public` closed to everyone. Idempotent: it runs on every install
and upgrade. psql fills :'<service>' from --set, quoted, so a password never
becomes SQL. (Kubernetes turns "$$" in a command into "$": the DO blocks are quoted
with $do$.)
*/}}
{{- define "helpdesk.provisionRolesContainer" -}}
{{- $pg := include "helpdesk.fullname" (dict "root" . "name" "postgresql") -}}
{{- $trust := include "helpdesk.trust" . | fromJson -}}
{{- $services := list -}}
{{- range $name := splitList " " (include "helpdesk.serviceNames" .) -}}
{{- $svc := index $.Values $name -}}
{{- if and $svc.enabled $svc.database -}}
{{- $services = append $services $name -}}
{{- end -}}
{{- end -}}
- name: provision-roles
  image: "{{ .Values.postgresql.image.repository }}:{{ .Values.postgresql.image.tag }}"
  imagePullPolicy: {{ .Values.postgresql.image.pullPolicy }}
  command:
    - sh
    - -c
    - |
      psql --host={{ $pg }} --port=5432 --username={{ .Values.postgresql.username }} --dbname={{ .Values.postgresql.database }} --no-psqlrc --quiet --set=ON_ERROR_STOP=1 {{- range $name := $services }} --set={{ $name }}="$PASSWORD_{{ upper $name }}"{{ end }} <<'SQL'
      {{- range $name := $services }}
      SELECT format('CREATE ROLE %I LOGIN', '{{ $name }}') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{{ $name }}') \gexec
      ALTER ROLE "{{ $name }}" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'{{ $name }}';
      CREATE SCHEMA IF NOT EXISTS "{{ $name }}" AUTHORIZATION "{{ $name }}";
      ALTER SCHEMA "{{ $name }}" OWNER TO "{{ $name }}";
      {{- range $ext := (index $trust.databases $name).extensions }}
      CREATE EXTENSION IF NOT EXISTS "{{ $ext }}" SCHEMA "{{ $name }}";
      {{- end }}
      DO $do$ DECLARE r record; BEGIN
        FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = '{{ $name }}' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
                   AND pg_get_userbyid(c.relowner) <> '{{ $name }}'
                   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'i', 'a'))
        LOOP EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', '{{ $name }}', r.relname, '{{ $name }}'); END LOOP;
        FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = '{{ $name }}' AND pg_get_userbyid(p.proowner) <> '{{ $name }}'
                   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        LOOP EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.sig, '{{ $name }}'); END LOOP;
      END $do$;
      {{- end }}
      REVOKE CREATE ON SCHEMA public FROM PUBLIC;
      REVOKE CREATE, TEMPORARY ON DATABASE "{{ .Values.postgresql.database }}" FROM PUBLIC;
      SQL
  env:
    - name: PGPASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ include "helpdesk.secretName" . }}
          key: postgres-password
    {{- range $name := $services }}
    - name: PASSWORD_{{ upper $name }}
      valueFrom:
        secretKeyRef:
          name: {{ include "helpdesk.credentialsName" (dict "root" $ "name" $name) }}
          key: database-password
    {{- end }}
  resources:
    requests:
      cpu: 10m
      memory: 16Mi
    limits:
      memory: 64Mi
  securityContext:
    {{- include "helpdesk.containerSecurityContext" (dict "readOnly" true) | nindent 4 }}
{{- end }}
