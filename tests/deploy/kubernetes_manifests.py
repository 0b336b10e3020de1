"""Rendering the Kubernetes overlays (kubectl's built-in Kustomize) and reading what they hold,
for tests/deploy/test_kubernetes.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from memoai.settings import SECRET_FIELDS, Settings

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("single", "scaled")
MEMOAI_IMAGE = "registry.example.com/memoai"
SECRETS_MOUNT = "/run/secrets/memoai"
MIN_KUSTOMIZE = (5, 0)
SETTING_NAMES = {name.upper() for name in Settings.model_fields}
SECRET_FILE_NAMES = {f"{name.upper()}_FILE" for name in SECRET_FIELDS}


def kubectl_or_skip() -> str:
    """kubectl with a Kustomize new enough for the overlays' syntax (v5: `labels`, `patches`)."""
    binary = shutil.which("kubectl")
    if binary is None:
        pytest.skip("kubectl is not installed (scripts/setup-system.sh says where to get it)")
    out = subprocess.run(
        [binary, "version", "--client", "-o", "json"], capture_output=True, text=True, check=True
    )
    found = re.match(r"v(\d+)\.(\d+)", json.loads(out.stdout).get("kustomizeVersion", ""))
    if found is None or (int(found[1]), int(found[2])) < MIN_KUSTOMIZE:
        pytest.skip(f"kubectl's Kustomize is older than v5 ({out.stdout.strip()})")
    return binary


def render(kubectl: str, overlay: str | Path) -> list[dict[str, Any]]:
    """An overlay of deploy/kubernetes by name, or any kustomization folder, rendered."""
    folder = overlay if isinstance(overlay, Path) else KUBERNETES / "overlays" / overlay
    result = subprocess.run(
        [kubectl, "kustomize", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template's spec of a workload, None for anything else."""
    if obj["kind"] in ("Deployment", "StatefulSet", "Job"):
        return obj["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return None


def pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    template = (
        obj["spec"]["jobTemplate"]["spec"]["template"]
        if obj["kind"] == "CronJob"
        else obj["spec"]["template"]
    )
    return dict(template["metadata"]["labels"])


def workloads(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for obj in objects:
        spec = pod_spec(obj)
        if spec is not None:
            yield obj, spec


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def memoai_containers(
    objects: list[dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(workload, pod spec, container) for every container running the product's image."""
    for obj, spec in workloads(objects):
        for container in containers(spec):
            if container["image"].split(":")[0] == MEMOAI_IMAGE:
                yield obj, spec, container


def container_environment(
    objects: list[dict[str, Any]], container: dict[str, Any]
) -> dict[str, str]:
    """The environment a container starts with: its ConfigMaps (envFrom), then its own env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        env.update(find(objects, "ConfigMap", name)["data"])
    env.update({item["name"]: item["value"] for item in container.get("env", [])})
    return env


def secret_files(spec: dict[str, Any], container: dict[str, Any]) -> set[str]:
    """Paths of the secret files a container can read: mounted Secret volumes and their keys."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    paths: set[str] = set()
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            continue
        items = secret.get("items")
        keys = [i["path"] for i in items] if items else ["*"]
        paths.update(f"{mount['mountPath']}/{key}" for key in keys)
    return paths


def production_settings(
    env: dict[str, str],
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str | None = None,
) -> dict[str, str]:
    """The container's environment with /app and the secret files under root (written)."""
    local: dict[str, str] = {}
    secrets = root / "secrets"
    secrets.mkdir(exist_ok=True)
    for key, value in env.items():
        if value.startswith(f"{SECRETS_MOUNT}/"):
            path = secrets / value.removeprefix(f"{SECRETS_MOUNT}/")
            content = "s3cr3t-" + "x" * 40
            if path.name == "database_url":  # the scaled overlay's PostgreSQL, or a stand-in
                content = database_url or f"sqlite:///{root / 'data' / 'memoai_prod.db'}"
            path.write_text(content + "\n")
            value = str(path)
        elif value.startswith("/app/"):
            value = str(root / value.removeprefix("/app/"))
        elif value.startswith("/etc/litestream/"):
            value = str(KUBERNETES / "overlays" / "single" / value.removeprefix("/etc/litestream/"))
        value = value.replace("file:///app/", f"file://{root}/")
        local[key] = value
    for name in SETTING_NAMES | SECRET_FILE_NAMES:
        monkeypatch.delenv(name, raising=False)
    for key, value in local.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    for folder in ("data", "backups"):
        (root / folder).mkdir(exist_ok=True)
    return local


def guide_overlay(guide: str) -> str:
    """The kustomization.yaml that docs/kubernetes.md has operators write in "Install"."""
    block = guide.split("cat > kustomization.yaml <<'EOF'\n", 1)[1].split("\n   EOF\n", 1)[0]
    return "\n".join(line.removeprefix("   ") for line in block.splitlines()) + "\n"
