# syntax=docker/dockerfile:1
# The telecare service image: `docker build -t telecare .`, or through docker-compose.yml.
# Runs `telecare serve` as a non-root user; the same image runs `telecare simulate` for the demo profile.

# --- build: install the package and its dependencies into a virtualenv that the runtime stage copies.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# .dockerignore keeps the venv, tests, deploy files, .env and local data out of this copy.
COPY . .
# The cache mount keeps downloaded wheels between builds without putting them in a layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install .

# --- runtime
FROM python:3.11-slim
# The last two are Settings defaults that suit a container (fields of telecare.config.Settings):
# listen on every interface of the container, keep local state under /data (a volume in compose).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TELECARE_HTTP_HOST=0.0.0.0 \
    TELECARE_DATA_DIR=/data
# A fixed numeric uid/gid, so that `USER` is verifiably non-root (Kubernetes runAsNonRoot) and volume
# ownership is predictable. /data is created owned by it: a new named volume mounted there inherits that.
RUN groupadd --gid 10001 telecare \
    && useradd --uid 10001 --gid telecare --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin telecare \
    && mkdir /data /app \
    && chown telecare:telecare /data
COPY --from=build /opt/venv /opt/venv
# An empty working directory: Settings also reads a `.env` from the working directory, and none belongs
# in the image.
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# slim has no curl: ask the service's own /health with the standard library. urlopen raises on a
# refused connection or an HTTP error, which makes the exit status non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('TELECARE_HTTP_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["telecare"]
CMD ["serve"]
