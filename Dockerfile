# syntax=docker/dockerfile:1
#
# One image recipe for every Python service, built from the repository root:
#
#   docker build --build-arg SERVICE=tickets -t helpdesk/tickets .
#
# Stages: builder (uv and compilers; installs the workspace member
# helpdesk-$SERVICE and its dependencies into /app/.venv) → base (python:3.11-slim,
# non-root, nothing but the interpreter) → dev (skaffold dev: code writable by the
# app user, restart on change) → runtime (the default target: it is the last stage).
#
# At run time the image writes nothing outside /tmp, so it works with a read-only
# root filesystem (the Helm chart mounts an emptyDir on /tmp).

ARG PYTHON_IMAGE=python:3.11-slim
# Numeric, so that Kubernetes can verify runAsNonRoot against the image.
ARG APP_UID=10001

FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
ARG UV_VERSION=0.13.9
RUN test -n "${SERVICE}" \
    || { echo "build argument SERVICE is required: one of the directories in services/" >&2; exit 1; }
# Compilers live only in this stage: a dependency without a wheel for the build
# platform is built from its source distribution.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
# The venv's interpreter is the image's own /usr/local/bin/python3.11, which the
# final stage has at the same path; the venv therefore works once copied there.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Third-party dependencies first: this layer is reused until uv.lock or the root
# pyproject.toml changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "helpdesk-${SERVICE}"
# Then the workspace members (the service, kit, proto), installed as ordinary
# wheels rather than editable links: site-packages holds everything the process
# runs, and the sources under /src are not copied into the final image.
# (libs/devstack comes along because the workspace lists it; nothing installs it.)
COPY libs/ libs/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "helpdesk-${SERVICE}"
# Fail the build, not the pod, when the service cannot be started with `python -m`,
# and when development tooling (libs/devstack: test servers, launcher, pytest
# plugin) slipped in: no service depends on it, so it must never be installed.
RUN /app/.venv/bin/python -c "import importlib.util, sys; \
sys.exit('helpdesk_${SERVICE}.__main__ not installed' \
    if importlib.util.find_spec('helpdesk_${SERVICE}.__main__') is None \
    else 'helpdesk_devstack must not be in the image' \
    if importlib.util.find_spec('helpdesk_devstack') is not None else 0)"


FROM ${PYTHON_IMAGE} AS base
ARG SERVICE
ARG APP_UID
LABEL org.opencontainers.image.title="helpdesk-${SERVICE}" \
      org.opencontainers.image.description="Helpdesk ${SERVICE} service"
# SERVICE_PACKAGE is what the entrypoint runs: `python -m helpdesk_<service>`.
ENV SERVICE_PACKAGE=helpdesk_${SERVICE} \
    VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp
RUN groupadd --gid "${APP_UID}" helpdesk \
    && useradd --uid "${APP_UID}" --gid "${APP_UID}" --home-dir /tmp --no-create-home \
       --shell /usr/sbin/nologin helpdesk
WORKDIR /app
EXPOSE 8000 50051
USER ${APP_UID}:${APP_UID}
# `exec` replaces the shell, so the service is PID 1 and receives SIGTERM itself
# (graceful shutdown). Arguments after the image (default: serve) go to the service.
ENTRYPOINT ["/bin/sh", "-c", "exec python -m \"${SERVICE_PACKAGE}\" \"$@\"", "--"]
CMD ["serve"]


# skaffold dev (profile `dev`, `docker.target: dev`): skaffold syncs changed .py
# files into site-packages, so the venv belongs to the app user here, and `serve`
# runs under watchfiles, which restarts it when a synced file changes. Other
# commands (migrate, bootstrap-admin) run as in the runtime image.
FROM base AS dev
ARG APP_UID
COPY --from=builder --chown=${APP_UID}:${APP_UID} /app/.venv /app/.venv
COPY --chmod=0755 <<'EOF' /usr/local/bin/helpdesk-dev
#!/bin/sh
set -eu
site=/app/.venv/lib/python3.11/site-packages
if [ "${1:-serve}" = serve ]; then
    exec watchfiles --filter python "python -m ${SERVICE_PACKAGE} serve" \
        "${site}/${SERVICE_PACKAGE}" "${site}/helpdesk_kit" "${site}/helpdesk"
fi
exec python -m "${SERVICE_PACKAGE}" "$@"
EOF
ENTRYPOINT ["/usr/local/bin/helpdesk-dev"]
CMD ["serve"]


# The production image (default target): the venv is owned by root and read-only
# for the app user; no compiler, no uv, no pip in the venv, no sources besides it.
FROM base AS runtime
COPY --from=builder /app/.venv /app/.venv
