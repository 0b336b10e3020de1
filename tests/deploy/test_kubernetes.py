"""The Kubernetes manifests (deploy/kubernetes/): both overlays render with kubectl's Kustomize,
every object validates against a current Kubernetes release's schemas (kubernetes-validate,
schemas bundled in the package), the environment stays in step with the settings class, the
pods are probed, limited and locked down, and the network, ingress and autoscaler say what
docs/kubernetes.md says. No cluster runs here; test_kubernetes_commands.py runs the pods'
commands for real."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from packaging.version import Version
from prometheus_client import Gauge

from memoai.ops import metrics as app_metrics
from memoai.settings import SECRET_FIELDS, load_settings
from tests.deploy.kubernetes_manifests import (
    KUBERNETES,
    OVERLAYS,
    ROOT,
    SECRET_FILE_NAMES,
    SECRETS_MOUNT,
    SETTING_NAMES,
    container_environment,
    containers,
    find,
    guide_overlay,
    kubectl_or_skip,
    memoai_containers,
    pod_labels,
    production_settings,
    render,
    secret_files,
    workloads,
)

# The oldest release the manifests use fields of (CronJob timeZone, matchLabelKeys are GA or
# on by default from here) and the newest whose schemas the validator bundles.
OLDEST_KUBERNETES = "1.30.0"
DOCS = ROOT / "docs" / "kubernetes.md"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
BIN = Path(sys.executable).parent
LITESTREAM_CONFIG = ROOT / "deploy" / "litestream" / "litestream.yml"
# What deploy/litestream/litestream.yml reads besides the settings (`memoai backup replicate`
# fills in MEMOAI_SQLITE_PATH itself): the Litestream sidecar may set these too.
LITESTREAM_VARIABLES = set(
    re.findall(r"\$\{([A-Z_]+)\}", LITESTREAM_CONFIG.read_text(encoding="utf-8"))
) - {"MEMOAI_SQLITE_PATH"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    kubectl = kubectl_or_skip()
    return {overlay: render(kubectl, overlay) for overlay in OVERLAYS}


# --- rendering and schemas -------------------------------------------------------------------


def test_each_overlay_renders_its_topology(rendered: dict[str, list[dict[str, Any]]]) -> None:
    kinds = {o: {f"{x['kind']}/{x['metadata']['name']}" for x in rendered[o]} for o in OVERLAYS}
    shared = {
        "Deployment/memoai-backend",
        "Service/memoai-backend",
        "PodDisruptionBudget/memoai-backend",
        "Job/memoai-migrate",
        "CronJob/memoai-backup",
        "CronJob/memoai-maintenance",
        "Ingress/memoai",
        "NetworkPolicy/memoai-default-deny-ingress",
    }
    assert shared <= kinds["single"] and shared <= kinds["scaled"]
    assert "PersistentVolumeClaim/memoai-data" in kinds["single"]
    scaled_only = {
        "Deployment/memoai-frontend",
        "StatefulSet/memoai-postgres",
        "Deployment/memoai-redis",
        "HorizontalPodAutoscaler/memoai-backend",
    }
    assert scaled_only <= kinds["scaled"] and not scaled_only & kinds["single"]
    for overlay in OVERLAYS:
        assert {x["metadata"].get("namespace") for x in rendered[overlay]} == {"memoai"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_kubernetes_schemas(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    newest = kubernetes_validate.latest_version()
    assert Version(newest) >= Version("1.33"), f"the validator's newest schemas are {newest}"
    problems = []
    for version in (OLDEST_KUBERNETES, newest):
        for obj in rendered[overlay]:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                name = f"{obj['kind']}/{obj['metadata']['name']}"
                problems.append(f"{version} {name}: {exc.message} at {list(exc.path)}")
    assert not problems, "\n".join(problems)


def test_the_validator_refuses_a_misspelt_field(rendered: dict[str, list[dict[str, Any]]]) -> None:
    deployment = copy.deepcopy(find(rendered["scaled"], "Deployment", "memoai-backend"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbes"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


# --- environment and secrets -----------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_pass_only_settings(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    problems = []
    for obj, _, container in memoai_containers(rendered[overlay]):
        known = SETTING_NAMES | SECRET_FILE_NAMES
        if container["name"] == "litestream":
            known |= LITESTREAM_VARIABLES
        for key in container_environment(rendered[overlay], container):
            if key not in known:
                problems.append(f"{obj['metadata']['name']}/{container['name']}: {key}")
    assert not problems, f"variables memoai.settings.Settings does not know: {problems}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_files_the_container_can_read(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    for obj, spec, container in memoai_containers(rendered[overlay]):
        env = container_environment(rendered[overlay], container)
        readable = secret_files(spec, container)
        plain = {k for k in env if k.lower() in SECRET_FIELDS} - {"REDIS_URL"}
        assert not plain, f"{obj['metadata']['name']}: secrets as plain values: {plain}"
        for key, path in env.items():
            if key.endswith("_FILE"):
                folder = path.rsplit("/", 1)[0]
                assert path in readable or f"{folder}/*" in readable, (
                    f"{obj['metadata']['name']}/{container['name']}: {key}={path} is not mounted"
                )


def secret_keys_referenced(objects: list[dict[str, Any]]) -> set[str]:
    keys: set[str] = set()
    for _, _, container in memoai_containers(objects):
        env = container_environment(objects, container)
        keys |= {v.removeprefix(f"{SECRETS_MOUNT}/") for k, v in env.items() if k.endswith("_FILE")}
    for _, spec in workloads(objects):
        for volume in spec.get("volumes", []):
            keys |= {item["key"] for item in volume.get("secret", {}).get("items", [])}
    return keys


def test_the_install_guide_creates_every_secret_key(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    guide = DOCS.read_text(encoding="utf-8")
    created = set(re.findall(r"--from-file=([a-z_]+)=", guide))
    for overlay in OVERLAYS:
        missing = secret_keys_referenced(rendered[overlay]) - created
        assert not missing, f"{overlay}: docs/kubernetes.md never creates {missing}"


def test_the_install_guides_overlay_renders_what_it_promises(tmp_path: Path) -> None:
    (tmp_path / "deploy").symlink_to(ROOT / "deploy")
    mine = tmp_path / "memoai-prod"
    mine.mkdir()
    (mine / "kustomization.yaml").write_text(guide_overlay(DOCS.read_text(encoding="utf-8")))
    objects = render(kubectl_or_skip(), mine)
    images = {c["image"] for _, _, c in memoai_containers(objects)}
    assert images == {"registry.example.com/memoai:1.4.0"}
    env = next(o for o in objects if o["metadata"]["name"].startswith("memoai-env-"))["data"]
    assert env["FORWARDED_ALLOW_IPS"] == "10.244.0.0/16"
    ingress = find(objects, "Ingress", "memoai")["spec"]
    assert ingress["rules"][0]["host"] == ingress["tls"][0]["hosts"][0] == "memo.yourcompany.com"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_passes_production_checks(
    rendered: dict[str, list[dict[str, Any]]],
    overlay: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for index, (obj, _, container) in enumerate(memoai_containers(rendered[overlay])):
        root = tmp_path / str(index)
        root.mkdir()
        env = container_environment(rendered[overlay], container)
        production_settings(env, root, monkeypatch)
        settings = load_settings(_env_file=None)  # raises what production would refuse
        assert settings.is_production and settings.auth_enabled and settings.secure_cookies
        assert settings.secret("jwt_secret_key"), obj["metadata"]["name"]
        if container["name"] == "frontend":
            assert env["BACKEND_URL"] == "http://memoai-backend:8000"
            continue
        assert not settings.run_migrations_on_start
        assert settings.secret("backup_encryption_key") and settings.secret("metrics_token")
        if overlay == "scaled":
            assert env["DATABASE_URL_FILE"] == f"{SECRETS_MOUNT}/database_url"
            assert settings.redis_url == "redis://memoai-redis:6379/0"
        else:
            assert settings.db_url == "sqlite:///data/memoai_prod.db"


# --- pods: probes, limits, security ------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_limited_and_locked_down(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    for obj, spec in workloads(rendered[overlay]):
        name = obj["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        for container in containers(spec):
            where = f"{name}/{container['name']}"
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), where
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for _, _, container in memoai_containers([obj]):
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{name}: no writable /tmp"


def http_probe(container: dict[str, Any], kind: str) -> str:
    return str(container[kind]["httpGet"]["path"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_serving_pods_are_probed_spread_and_drained(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    names = ["memoai-backend"] + (["memoai-frontend"] if overlay == "scaled" else [])
    for name in names:
        deployment = find(rendered[overlay], "Deployment", name)
        spec = deployment["spec"]["template"]["spec"]
        server = spec["containers"][0]
        ready = "/health/ready" if name == "memoai-backend" else "/health"
        assert http_probe(server, "readinessProbe") == ready, name
        assert http_probe(server, "livenessProbe") == "/health", name
        pause = server["lifecycle"]["preStop"]["exec"]["command"]
        assert pause[0] == "sleep" and int(pause[1]) >= 5, name
        # the pause, then uvicorn's 30 s graceful drain, both inside the grace period
        assert spec["terminationGracePeriodSeconds"] >= int(pause[1]) + 30, name
        assert spec["topologySpreadConstraints"], name
        pdb = find(rendered[overlay], "PodDisruptionBudget", name)
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels(deployment).items(), name
    backend = find(rendered[overlay], "Deployment", "memoai-backend")
    if overlay == "single":
        assert backend["spec"]["replicas"] == 1
        assert backend["spec"]["strategy"]["type"] == "Recreate"
    else:
        assert "replicas" not in backend["spec"], "the HPA owns the count"
        assert backend["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_single_overlay_keeps_every_user_of_the_volume_on_one_node(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    users = 0
    for obj, spec in workloads(rendered["single"]):
        claims = {v.get("persistentVolumeClaim", {}).get("claimName") for v in spec["volumes"]}
        if "memoai-data" not in claims:
            continue
        users += 1
        group = pod_labels(obj)["memoai.io/node-group"]
        (term,) = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term["topologyKey"] == "kubernetes.io/hostname"
        assert term["labelSelector"]["matchLabels"] == {"memoai.io/node-group": group}
    assert users == 4  # the server, the migration and the two CronJobs


# --- autoscaling on the in-flight gauge --------------------------------------------------------


def test_autoscaler_uses_cpu_and_the_exported_in_flight_gauge(
    rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    hpa = find(rendered["scaled"], "HorizontalPodAutoscaler", "memoai-backend")
    assert hpa["spec"]["minReplicas"] >= 2
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    gauge_name = metrics["Pods"]["pods"]["metric"]["name"]
    exported = {
        family.name
        for value in vars(app_metrics).values()
        if isinstance(value, Gauge)
        for family in value.describe()
    }
    assert gauge_name in exported
    adapter = yaml.safe_load((PROMETHEUS_DIR / "adapter-rules.yml").read_text())
    (rule,) = [r for r in adapter["rules"] if gauge_name in r["seriesQuery"]]
    assert rule["name"]["as"] == gauge_name
    assert set(rule["resources"]["overrides"]) == {"namespace", "pod"}
    scrape = yaml.safe_load((PROMETHEUS_DIR / "kubernetes.yml").read_text())
    (job,) = scrape["scrape_configs"]
    labels = {r.get("target_label") for r in job["relabel_configs"]}
    assert {"namespace", "pod"} <= labels
    port = find(rendered["scaled"], "Deployment", "memoai-backend")["spec"]["template"]["spec"]
    assert job["relabel_configs"][0]["regex"].endswith(
        str(port["containers"][0]["ports"][0]["containerPort"])
    )


def test_promtool_accepts_the_kubernetes_scrape_config(tmp_path: Path) -> None:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool is not installed (Debian package prometheus; CI installs it)")
    config = yaml.safe_load((PROMETHEUS_DIR / "kubernetes.yml").read_text())
    # Debian's promtool is built without Kubernetes discovery: everything else is checked.
    token = tmp_path / "metrics_token"
    token.write_text("token")
    for job in config["scrape_configs"]:
        assert job.pop("kubernetes_sd_configs")
        job["static_configs"] = [{"targets": ["127.0.0.1:8000"]}]
        job["authorization"]["credentials_file"] = str(token)
    config["rule_files"] = [str(PROMETHEUS_DIR / "alerts.yml")]
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [binary, "check", "config", str(checked)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- network and ingress ---------------------------------------------------------------------


def allowed_sources(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]


def test_only_the_app_reaches_the_database_and_redis(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    objects = rendered["scaled"]
    deny = find(objects, "NetworkPolicy", "memoai-default-deny-ingress")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    (db_peer,) = allowed_sources(find(objects, "NetworkPolicy", "memoai-postgres-ingress"))
    (expression,) = db_peer["podSelector"]["matchExpressions"]
    database_users = {
        pod_labels(obj)["app.kubernetes.io/component"]
        for obj, _, container in memoai_containers(objects)
        if "DATABASE_URL_FILE" in container_environment(objects, container)
    }
    assert set(expression["values"]) == database_users
    (redis_peer,) = allowed_sources(find(objects, "NetworkPolicy", "memoai-redis-ingress"))
    assert redis_peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "backend"
    backend_peers = allowed_sources(find(objects, "NetworkPolicy", "memoai-backend-ingress"))
    namespaces = {
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for p in backend_peers
        if "namespaceSelector" in p
    }
    assert namespaces == {"ingress-nginx", "monitoring"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_terminates_tls_and_streams_unbuffered(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    ingress = find(rendered[overlay], "Ingress", "memoai")
    notes = ingress["metadata"]["annotations"]
    assert notes["cert-manager.io/cluster-issuer"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    (tls,) = ingress["spec"]["tls"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] in tls["hosts"] and tls["secretName"]
    assert {p["pathType"] for p in rule["http"]["paths"]} == {"Prefix"}  # /health/ready too
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    web = "memoai-frontend" if overlay == "scaled" else "memoai-backend"
    assert routes == {"/api": "memoai-backend", "/health": "memoai-backend", "/": web}


def test_configmaps_hold_the_seed_configuration_and_litestreams() -> None:
    seed = {p.name: p.read_bytes() for p in (ROOT / "config").glob("*.yaml")}
    copies = {p.name: p.read_bytes() for p in (KUBERNETES / "base" / "config").glob("*.yaml")}
    assert copies == seed, "cp config/*.yaml deploy/kubernetes/base/config/"
    litestream = KUBERNETES / "overlays" / "single" / "litestream.yml"
    assert litestream.read_bytes() == LITESTREAM_CONFIG.read_bytes(), (
        "cp deploy/litestream/litestream.yml deploy/kubernetes/overlays/single/"
    )


def test_litestream_runs_beside_sqlite_only(rendered: dict[str, list[dict[str, Any]]]) -> None:
    spec = find(rendered["single"], "Deployment", "memoai-backend")["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["wait-for-schema", "litestream"]
    sidecar = spec["initContainers"][1]
    assert sidecar["restartPolicy"] == "Always", "a native sidecar outlives the server"
    assert sidecar["command"] == ["memoai", "backup", "replicate"]
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    server = {m["mountPath"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["/app/data"]["name"] == server["/app/data"]["name"] == "data"
    assert not mounts["/app/backups"].get("readOnly"), "the replica is written there"
    scaled = find(rendered["scaled"], "Deployment", "memoai-backend")["spec"]["template"]["spec"]
    assert [c["name"] for c in scaled["initContainers"]] == ["wait-for-schema"]
