# Alice in a container: `docker build -t alice .`
#
# Stage 1 builds the two wheels (chad-client, which owns the generated
# contract, and alice-server); stage 2 installs them into a virtualenv and
# runs as an unprivileged user (10001:10001). Migrations are a separate
# command, never a side effect of starting the server:
#   docker run --rm --entrypoint alice-admin -e ALICE_ADMIN_DATABASE_URL=... alice-image migrate
# (compose.yaml runs it as the `migrate` service before `alice` starts).
#
# No Docker engine runs on the machine this was written on: the image has not
# been built there. tests/test_container.py runs the install steps marked
# `# test:` below in a fresh virtualenv, starts the ENTRYPOINT with this ENV
# and runs the HEALTHCHECK command against it.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY alice_server ./alice_server
COPY alice_console ./alice_console
COPY migrations ./migrations
COPY data/demo ./data/demo
COPY chad_client ./chad_client
# test: build
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ./chad_client .

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 alice \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin alice
COPY --from=build /wheels /wheels
# One server process per container (scale with replicas): one metrics target,
# one pool, and the orchestrator restarts it. The console extra makes the same
# image run alice-console (compose.yaml's `console` service).
# test: install
RUN python -m venv /opt/alice && /opt/alice/bin/pip install --no-cache-dir /wheels/chad_client-*.whl "$(ls /wheels/alice_server-*.whl)[console]" && rm -rf /wheels
ENV PATH=/opt/alice/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ALICE_LISTEN_ADDRESS=[::]:50051 \
    ALICE_METRICS_ADDRESS=[::]:9464 \
    ALICE_LOG_FORMAT=json \
    ALICE_ACCESS_LOG_LEVEL=INFO \
    ALICE_WORKERS=1
# Numeric, so that Kubernetes' runAsNonRoot can verify it is not root.
USER 10001:10001
EXPOSE 50051 9464
# Asks the gRPC health service (grpc.health.v1): SERVING only while the
# database answers and its schema is at head.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["alice-server", "--health-check"]
ENTRYPOINT ["alice-server"]
