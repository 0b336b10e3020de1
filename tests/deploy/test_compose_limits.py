"""Resource limits in the compose files (seed §10.1): every service has a CPU and a memory
ceiling, and the product's processes get the figures the Kubernetes manifests give them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = [ROOT / "docker-compose.yml", ROOT / "docker-compose.prod.yml"]
KUBERNETES = ROOT / "deploy" / "kubernetes"
# compose service -> (manifest file, container) with the same role
SAME_ROLE = {
    "memoai-backend-1": ("base/backend.yaml", "backend"),
    "memoai-frontend": ("overlays/scaled/frontend.yaml", "frontend"),
}
UNITS = {"k": 2**10, "m": 2**20, "g": 2**30, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def services(path: Path) -> dict[str, dict[str, Any]]:
    return dict(YAML(typ="safe").load(path.read_text(encoding="utf-8"))["services"])


def memory_bytes(value: str) -> int:
    for unit in sorted(UNITS, key=len, reverse=True):
        if value.endswith(unit):
            return int(float(value.removesuffix(unit)) * UNITS[unit])
    return int(value)


def manifest_limits(file: str, container: str) -> dict[str, str]:
    for doc in yaml.safe_load_all((KUBERNETES / file).read_text(encoding="utf-8")):
        if doc and doc["kind"] == "Deployment":
            for item in doc["spec"]["template"]["spec"]["containers"]:
                if item["name"] == container:
                    return dict(item["resources"]["limits"])
    raise AssertionError(f"{container} not in {file}")


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_service_has_cpu_and_memory_limits(path: Path) -> None:
    missing = [name for name, s in services(path).items() if not {"cpus", "mem_limit"} <= set(s)]
    assert not missing, f"{path.name}: services without limits: {missing}"
    for name, service in services(path).items():
        reservation = service.get("mem_reservation")
        if reservation is not None:
            assert memory_bytes(reservation) < memory_bytes(service["mem_limit"]), name


@pytest.mark.parametrize("name", sorted(SAME_ROLE))
def test_production_processes_get_the_kubernetes_limits(name: str) -> None:
    service = services(ROOT / "docker-compose.prod.yml")[name]
    limits = manifest_limits(*SAME_ROLE[name])
    assert float(service["cpus"]) == float(limits["cpu"])
    assert memory_bytes(service["mem_limit"]) == memory_bytes(limits["memory"])
