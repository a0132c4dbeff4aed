# syntax=docker/dockerfile:1
# One image recipe for every service (they differ only in their package):
#   docker build -f deploy/docker/service.Dockerfile \
#     --build-arg SERVICE=case --build-arg PACKAGE=case_service -t contactcenter/case .
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir "uv==0.13.9" && python -m venv /opt/venv
WORKDIR /src
COPY requirements-runtime.lock ./
# Third-party packages exactly as locked; the workspace packages come next.
RUN grep -v '^-e ' requirements-runtime.lock > /tmp/locked.txt \
 && uv pip install --python /opt/venv/bin/python --no-cache -r /tmp/locked.txt
COPY libs/common libs/common
COPY services/${SERVICE} services/${SERVICE}
RUN uv pip install --python /opt/venv/bin/python --no-cache --no-deps ./libs/common "./services/${SERVICE}"

FROM ${PYTHON_IMAGE}
ARG PACKAGE
RUN useradd --system --uid 10001 --no-create-home app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    APP_FACTORY=${PACKAGE}.main:create_app
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["sh", "-c", "exec uvicorn \"$APP_FACTORY\" --factory --host 0.0.0.0 --port 8000 --no-access-log --http cc_common.http.guarded_protocol:GuardedHttp --forwarded-allow-ips \"${CC_TRUSTED_PROXIES:-}\" --timeout-graceful-shutdown 20"]
