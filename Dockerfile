# Diana bot image: the same code as `make run`, served as stateless replicas behind a webhook.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY engine engine
COPY bot bot
COPY cli cli
RUN pip install -e .
COPY schemas schemas
COPY migrations migrations
COPY alembic.ini ./
COPY content content
RUN useradd --create-home diana && chown -R diana /app
USER diana
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health')"
# Migrations run once per deploy (the k8s Job); replicas only serve.
CMD ["diana", "serve"]
