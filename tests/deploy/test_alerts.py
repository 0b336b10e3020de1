"""Alert rules: well-formed, built on metrics the app really exports, and firing at the
thresholds the operations guide promises (promtool's rule unit tests, when promtool exists)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.metrics import MetricWrapperBase
from ruamel.yaml import YAML

from memoai.ops import metrics as app_metrics

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
OPERATIONS = ROOT / "docs" / "operations.md"
# Metrics that come from prometheus_client's process collector or from node exporter.
EXTERNAL_METRICS = {
    "up",
    "process_resident_memory_bytes",
    "process_cpu_seconds_total",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
}
SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count", ""),
}


def rules() -> list[dict[str, Any]]:
    data = YAML(typ="safe").load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def exported_sample_names() -> set[str]:
    """Every sample name the app's metrics module exposes on /metrics."""
    names: set[str] = set()
    for value in vars(app_metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                names.update(family.name + suffix for suffix in SAMPLE_SUFFIXES[family.type])
    return names


def promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool is not installed (Debian package prometheus; CI installs it)")
    return binary


def test_every_rule_is_complete() -> None:
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names)), "duplicate alert names"
    for rule in rules():
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", str(rule["for"])), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]


def test_rules_cover_the_seeds_alerts() -> None:
    expressions = " ".join(rule["expr"] for rule in rules())
    for metric in (
        "memoai_http_requests_total",
        "memoai_http_request_duration_seconds_bucket",
        "memoai_evaluations_total",
        "memoai_llm_latency_seconds_bucket",
        "memoai_disk_free_bytes",
        "memoai_backup_age_seconds",
        "memoai_login_failures_total",
        "memoai_rate_limited_total",
        "process_resident_memory_bytes",
        "up",
    ):
        assert re.search(rf"\b{metric}\b", expressions), metric


def test_rules_use_only_metrics_that_exist() -> None:
    used = {
        name
        for rule in rules()
        for name in re.findall(r"\b([a-z_][a-z0-9_]*)\s*(?:\{|\[|\)|\s*[<>=!]|$)", rule["expr"])
        if name.startswith(("memoai_", "process_", "node_")) or name == "up"
    }
    unknown = used - exported_sample_names() - EXTERNAL_METRICS
    assert not unknown, f"alerts use metrics nothing exports: {sorted(unknown)}"


def test_runbook_links_point_at_sections_of_the_operations_guide() -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in OPERATIONS.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }
    for rule in rules():
        link = rule["annotations"].get("runbook", "")
        assert link.startswith("docs/operations.md#"), rule["alert"]
        assert link.split("#", 1)[1] in headings, f"{rule['alert']}: {link}"


def test_promtool_accepts_rules_and_config() -> None:
    binary = promtool()
    for args in (["check", "rules", str(ALERTS)], ["check", "config", str(PROMETHEUS)]):
        result = subprocess.run(
            [binary, *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


# promtool's rule unit tests: series in, alerts out. Thresholds are those of docs/operations.md.
# They run on a copy of the rules without annotations, so only names, labels and timing count.
UNIT_TESTS = """
rule_files:
  - {alerts}
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'memoai_backup_age_seconds{{instance="b1",job="memoai-backend"}}'
        values: '90000+60x60'   # 25 h, growing one minute per minute
    alert_rule_test:
      - eval_time: 30m
        alertname: MemoAIBackupTooOld
        exp_alerts: []
      - eval_time: 60m          # 26 h passed at ~59 min, then 15 min "for": not yet
        alertname: MemoAIBackupTooOld
        exp_alerts: []
  - interval: 1m
    input_series:
      - series: 'memoai_backup_age_seconds{{instance="b1",job="memoai-backend"}}'
        values: '97200x30'      # 27 h
    alert_rule_test:
      - eval_time: 20m
        alertname: MemoAIBackupTooOld
        exp_alerts:
          - exp_labels: {{severity: critical}}
  - interval: 1m
    input_series:
      - series: 'memoai_http_requests_total{{method="GET",status="200"}}'
        values: '0+540x20'
      - series: 'memoai_http_requests_total{{method="GET",status="500"}}'
        values: '0+60x20'       # 10% server errors
    alert_rule_test:
      - eval_time: 15m
        alertname: MemoAIHighErrorRate
        exp_alerts:
          - exp_labels: {{severity: critical}}
  - interval: 1m
    input_series:
      - series: 'memoai_http_requests_total{{method="GET",status="200"}}'
        values: '0+600x20'
      - series: 'memoai_http_requests_total{{method="GET",status="503"}}'
        values: '0+3x20'        # 0.5%: no alert
    alert_rule_test:
      - eval_time: 15m
        alertname: MemoAIHighErrorRate
        exp_alerts: []
      - eval_time: 15m
        alertname: MemoAIElevatedErrorRate
        exp_alerts: []
  - interval: 1m
    input_series:
      - series: 'memoai_login_failures_total{{instance="b1",job="memoai-backend"}}'
        values: '0+30x20'       # 30 failed logins a minute
      - series: 'memoai_disk_free_bytes{{instance="b1",job="memoai-backend"}}'
        values: '300000000x20'  # 300 MB free
      - series: 'up{{instance="b2",job="memoai-backend"}}'
        values: '0x20'
      - series: 'up{{instance="b1",job="memoai-backend"}}'
        values: '1x20'
    alert_rule_test:
      - eval_time: 10m
        alertname: MemoAILoginFailuresHigh
        exp_alerts:
          - exp_labels: {{severity: warning}}
      - eval_time: 10m
        alertname: MemoAIDiskSpaceCritical
        exp_alerts:
          - exp_labels: {{severity: critical, instance: b1}}
      - eval_time: 10m
        alertname: MemoAIInstanceDown
        exp_alerts:
          - exp_labels: {{severity: critical, instance: b2, job: memoai-backend}}
      - eval_time: 10m
        alertname: MemoAIAllBackendsDown
        exp_alerts: []
  - interval: 1m
    input_series:
      - series: 'memoai_http_request_duration_seconds_bucket{{method="GET",le="0.5"}}'
        values: '0+10x30'
      - series: 'memoai_http_request_duration_seconds_bucket{{method="GET",le="2.5"}}'
        values: '0+100x30'      # 90% between 0.5 s and 2.5 s: p95 well above 1 s
      - series: 'memoai_http_request_duration_seconds_bucket{{method="GET",le="+Inf"}}'
        values: '0+100x30'
    alert_rule_test:
      - eval_time: 20m
        alertname: MemoAIHighLatency
        exp_alerts:
          - exp_labels: {{severity: warning}}
  - interval: 1m
    input_series:
      - series: 'memoai_rate_limit_fallback_total{{instance="b1",job="memoai-backend"}}'
        values: '0+10x20'       # Redis unreachable: b1 counts on its own
      - series: 'memoai_rate_limit_fallback_total{{instance="b2",job="memoai-backend"}}'
        values: '5x20'          # fell back once, long ago: flat since
    alert_rule_test:
      - eval_time: 3m
        alertname: MemoAIRateLimitsNotShared
        exp_alerts: []
      - eval_time: 10m
        alertname: MemoAIRateLimitsNotShared
        exp_alerts:
          - exp_labels: {{severity: warning, instance: b1}}
"""


def test_alerts_fire_at_their_thresholds(tmp_path: Path) -> None:
    binary = promtool()
    yaml = YAML(typ="safe")
    data = yaml.load(ALERTS.read_text(encoding="utf-8"))
    for group in data["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    bare_rules = tmp_path / "alerts.yml"
    with bare_rules.open("w") as handle:
        yaml.dump(data, handle)
    tests = tmp_path / "alerts_test.yml"
    tests.write_text(UNIT_TESTS.format(alerts=bare_rules))
    result = subprocess.run(
        [binary, "test", "rules", str(tests)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
