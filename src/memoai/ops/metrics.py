"""Prometheus metrics of the product; names are what deploy/prometheus/alerts.yml relies on."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from memoai.llm.base import Usage

HTTP_REQUESTS = Counter(
    "memoai_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "memoai_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
EVALUATIONS = Counter(
    "memoai_evaluations_total",
    "Finished evaluations by provider and status",
    ["provider", "status"],
)
LLM_LATENCY = Histogram(
    "memoai_llm_latency_seconds",
    "Time from model call to validated result",
    ["provider"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
LLM_TOKENS = Counter("memoai_llm_tokens_total", "Model tokens", ["provider", "kind"])
LLM_COST = Counter("memoai_llm_cost_usd_total", "Estimated model cost in USD", ["provider"])
RATE_LIMITED = Counter("memoai_rate_limited_total", "Requests refused by rate limits", ["scope"])
RATE_LIMIT_FALLBACK = Counter(
    "memoai_rate_limit_fallback_total",
    "Requests counted against this process's own limits: the shared storage (Redis) failed",
)
LOGIN_FAILURES = Counter("memoai_login_failures_total", "Failed logins")
BACKUP_AGE = Gauge("memoai_backup_age_seconds", "Age of the newest backup")
DISK_FREE = Gauge("memoai_disk_free_bytes", "Free bytes on the data volume")
DB_POOL_IN_USE = Gauge("memoai_db_pool_connections_in_use", "Checked-out database connections")
# Per replica, the load signal the Kubernetes autoscaler scales on (through the Prometheus
# adapter: deploy/prometheus/adapter-rules.yml): CPU says little while replicas wait on a model.
EVALUATIONS_IN_FLIGHT = Gauge(
    "memoai_evaluations_in_flight", "Evaluations running in this process right now"
)


def observe_evaluation(provider: str, status: str, seconds: float) -> None:
    EVALUATIONS.labels(provider, status).inc()
    LLM_LATENCY.labels(provider).observe(seconds)


def observe_tokens(provider: str, usage: Usage, cost: float | None) -> None:
    LLM_TOKENS.labels(provider, "prompt").inc(usage.prompt_tokens)
    LLM_TOKENS.labels(provider, "completion").inc(usage.completion_tokens)
    LLM_TOKENS.labels(provider, "cached").inc(usage.cached_tokens)
    if cost:
        LLM_COST.labels(provider).inc(cost)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
