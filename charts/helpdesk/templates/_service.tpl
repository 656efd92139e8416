{{/*
One service of Helpdesk: ServiceAccount, Service (and, serving gRPC, a headless
Service), Deployment, and as toggled HorizontalPodAutoscaler, PodDisruptionBudget
and ServiceMonitor. Every service
template is a one-liner:

  {{ include "helpdesk.service" (dict "root" . "name" "tickets") }}

The service's values are .Values.<name> (see values.yaml).
*/}}
{{- define "helpdesk.service" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $svc := index $root.Values $name -}}
{{- if $svc.enabled -}}
{{- $ctx := dict "root" $root "name" $name -}}
{{- $fullname := include "helpdesk.fullname" $ctx -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "helpdesk.labels" $ctx | nindent 4 }}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "helpdesk.labels" $ctx | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "helpdesk.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: 8000
      targetPort: http
      protocol: TCP
      appProtocol: http
    {{- if $svc.grpc }}
    - name: grpc
      port: 50051
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    {{- end }}
    # Health and metrics: for probes, Prometheus and other pods; the Ingress never
    # routes here (it routes only port http).
    - name: ops
      port: 9000
      targetPort: ops
      protocol: TCP
      appProtocol: http
{{- if $svc.grpc }}
---
# Headless: its DNS name resolves to the address of every ready pod, so clients
# (round robin over all of them) spread their calls over every replica; servers end
# connections after a maximum age, so clients find new replicas too
# (docs/adr/0009-grpc-load-spreading.md).
apiVersion: v1
kind: Service
metadata:
  name: {{ include "helpdesk.grpcServiceName" $ctx }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "helpdesk.labels" (dict "root" $root "name" $name "component" (printf "%s-grpc" $name)) | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "helpdesk.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: grpc
      port: 50051
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
{{- end }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "helpdesk.labels" $ctx | nindent 4 }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "helpdesk.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%
  template:
    metadata:
      labels:
        {{- include "helpdesk.labels" $ctx | nindent 8 }}
      annotations:
        # A changed ConfigMap or chart Secret rolls the pods (env is read once at start).
        # Secrets you manage yourself (existingSecret, extraEnvFrom) are not seen here:
        # restart after changing them (docs/operations.md).
        checksum/env: {{ include "helpdesk.commonEnv" $root | sha256sum }}
        checksum/secrets: {{ include "helpdesk.secretData" $root | sha256sum }}
        checksum/credentials: {{ include "helpdesk.credentialsData" $ctx | sha256sum }}
        checksum/tls: {{ include "helpdesk.tlsChecksum" $ctx }}
        {{- if $root.Values.metrics.podAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: "9000"
        prometheus.io/path: /metrics
        {{- end }}
        {{- with $svc.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ $fullname }}
      automountServiceAccountToken: false
      # Service links would add <RELEASE>_<SVC>_PORT=tcp://... variables, which
      # can collide with the HELPDESK_* settings when the release is "helpdesk".
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "helpdesk.podSecurityContext" $root | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "helpdesk.selectorLabels" $ctx | nindent 14 }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $name }}
          image: {{ include "helpdesk.image" $ctx | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: ["serve"]
          ports:
            - name: http
              containerPort: 8000
              protocol: TCP
            {{- if $svc.grpc }}
            - name: grpc
              containerPort: 50051
              protocol: TCP
            {{- end }}
            - name: ops
              containerPort: 9000
              protocol: TCP
          envFrom:
            {{- include "helpdesk.serviceEnvFrom" $ctx | trim | nindent 12 }}
          env:
            {{- include "helpdesk.serviceEnv" $ctx | trim | nindent 12 }}
            # Its certificate, for mutual TLS with the other services.
            - name: HELPDESK_TLS_DIR
              value: {{ $root.Values.tls.mountPath | quote }}
          startupProbe:
            httpGet:
              path: /healthz
              port: ops
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet:
              path: /healthz
              port: ops
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: ops
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          lifecycle:
            # Let the endpoints controller and ingress drop the pod before the
            # process is asked to stop.
            preStop:
              exec:
                command: ["sleep", "5"]
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "helpdesk.containerSecurityContext" (dict "readOnly" $root.Values.securityContext.readOnlyRootFilesystem) | nindent 12 }}
          volumeMounts:
            {{- include "helpdesk.serviceVolumeMounts" $ctx | trim | nindent 12 }}
            {{- include "helpdesk.serviceTlsMount" $ctx | nindent 12 }}
      volumes:
        {{- include "helpdesk.serviceVolumes" $ctx | trim | nindent 8 }}
        {{- include "helpdesk.serviceTlsVolume" $ctx | nindent 8 }}
{{- if $svc.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "helpdesk.labels" $ctx | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  minReplicas: {{ $svc.autoscaling.minReplicas }}
  maxReplicas: {{ $svc.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $svc.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- if $svc.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "helpdesk.labels" $ctx | nindent 4 }}
spec:
  minAvailable: {{ $svc.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "helpdesk.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- if $root.Values.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $fullname }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "helpdesk.labels" $ctx | nindent 4 }}
    {{- with $root.Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "helpdesk.selectorLabels" $ctx | nindent 6 }}
      # The Service with the ops port, not the headless gRPC one.
      app.kubernetes.io/component: {{ $name }}
  endpoints:
    - port: ops
      path: /metrics
      interval: {{ $root.Values.serviceMonitor.interval }}
      scrapeTimeout: {{ $root.Values.serviceMonitor.scrapeTimeout }}
      # The services label their metrics with `service`; keep it rather than
      # Prometheus's target label of the same name (the Kubernetes Service).
      honorLabels: true
{{- end }}
{{- end }}
{{- end }}
