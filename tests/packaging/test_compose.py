"""compose.yaml's shape (two webhook replicas, HAProxy, PostgreSQL) and HAProxy's config.

No Docker engine is needed: the compose file is parsed, and both HAProxy configs (the
one compose mounts and the one the failover test generates) are checked by ``haproxy -c``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.replicas import find_haproxy, haproxy_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_CFG = ROOT / "deploy" / "haproxy.cfg"
# The rules the failover test measured; deploy/haproxy.cfg must keep them.
SHARED_RULES = (
    "option httpchk GET /healthz",
    "http-check expect status 200",
    "retries 3",
    "option redispatch 1",
    "retry-on conn-failure empty-response 503",
    "balance roundrobin",
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_two_webhook_replicas_behind_haproxy_on_one_postgres(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == {"db", "bot-a", "bot-b", "haproxy"}
    assert services["db"]["image"].startswith("postgres:")
    envs = [services[name]["environment"] for name in ("bot-a", "bot-b")]
    assert envs[0] == envs[1]  # one definition (a YAML anchor), two replicas
    env = envs[0]
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://") and "@db:" in env["DATABASE_URL"]
    assert "WEBHOOK_URL" in env and "WEBHOOK_SECRET" in env
    assert env["WEBHOOK_LISTEN"] == "0.0.0.0"  # reached from the haproxy container
    for name in ("bot-a", "bot-b"):
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
        assert services[name]["restart"] == "unless-stopped"
    balancer = services["haproxy"]
    assert balancer["build"] == {"context": "deploy", "dockerfile": "haproxy.Dockerfile"}
    assert "./deploy/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro" in balancer["volumes"]
    assert set(balancer["depends_on"]) == {"bot-a", "bot-b"}
    dockerfile = (ROOT / "deploy" / "haproxy.Dockerfile").read_text()
    assert "FROM debian:" in dockerfile and "apt-get install" in dockerfile


def test_haproxy_config_balances_the_compose_replicas_on_their_webhook_port(
    compose: dict[str, Any],
) -> None:
    config = DEPLOY_CFG.read_text()
    port = compose["services"]["bot-a"]["environment"]["WEBHOOK_PORT"]
    for name in ("bot-a", "bot-b"):
        assert f"server {name} {name}:{port}" in config
    for rule in SHARED_RULES:
        assert rule in config, rule
    published = compose["services"]["haproxy"]["ports"]
    assert any(p.endswith(":8080") for p in published) and "bind :8080" in config


@pytest.mark.parametrize("which", ["deploy", "test"])
def test_haproxy_accepts_both_configs(which: str, tmp_path: Path) -> None:
    binary = find_haproxy()
    if binary is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy)")
    if which == "deploy":
        path = DEPLOY_CFG
    else:
        path = tmp_path / "haproxy.cfg"
        text = haproxy_config(
            frontend_port=18080, backends={"a": 18081, "b": 18082}, stats_socket=tmp_path / "s"
        )
        for rule in SHARED_RULES:
            assert rule in text, rule
        path.write_text(text)
    result = subprocess.run(
        [binary, "-c", "-f", str(path)], capture_output=True, text=True, check=False, timeout=30
    )
    # Outside Docker the compose service names do not resolve: a warning, not an error.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout + result.stderr
