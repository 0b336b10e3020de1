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

# Dependencies in their own layer: rebuilt only when pyproject.toml changes, not on every
# source edit. The list is read from pyproject.toml itself, so there is no second copy of it.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md ./
COPY src ./src
COPY config ./config
RUN pip install --no-cache-dir --no-deps --editable . \
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
