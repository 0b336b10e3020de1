# Development image of Memo AI Coach (docker-compose.yml). One image for both processes:
# the backend by default (memoai api on 8000), the frontend with `command: memoai web ...`.
# The package is installed in editable mode, so docker-compose.yml can mount ./src over
# /app/src and a restart picks up code changes without a rebuild.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The Noto fonts draw every script and emoji in the PDF report (export/fonts.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/*

# Dependencies in their own layer, exactly the versions and hashes of requirements.lock
# (`make lock` refreshes it from pyproject.toml): rebuilt only when the lock changes.
COPY pyproject.toml requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY README.md ./
COPY src ./src
COPY config ./config
# The interface's translations compiled from their catalogs (.po in git, .mo built here);
# then the project itself, built with the locked setuptools (no unpinned build environment).
RUN pybabel compile --domain messages --directory src/memoai/locale \
    && pip install --no-cache-dir --no-deps --no-build-isolation --editable . \
    && useradd --create-home --uid 1000 --user-group --shell /usr/sbin/nologin memoai \
    && mkdir -p /app/data /app/backups \
    && chown -R 1000:1000 /app/data /app/backups /app/config

# Non-root: uid/gid 1000 (memoai). Bind-mounted ./data must be writable by uid 1000.
USER 1000:1000

EXPOSE 8000

# The slim image has no curl: ask /health (liveness) with the standard library.
# The frontend service overrides this test for port 3000 in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

CMD ["memoai", "api", "--host", "0.0.0.0", "--port", "8000"]
