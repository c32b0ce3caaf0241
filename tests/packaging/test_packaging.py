"""Packaging: the README's commands, CI running exactly them, and the Docker image."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_block(after: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(after, 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, f"no command block after {after!r}"
    return match.group(1).strip()


def test_readme_gives_the_run_and_test_commands_and_ci_runs_the_test_one() -> None:
    run = readme_block("## Run the bot")
    assert "python -m bot" in run and "TELEGRAM_BOT_TOKEN" in run
    test = readme_block("## Run the tests")
    test_command = test.split("&&", 1)[1].strip()  # after the install step
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci


def test_dockerfile_runs_as_non_root_with_dependencies_in_their_own_layer() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.M)
    assert re.search(r"^USER lumbar", dockerfile, re.M)
    first_copy_of_code = dockerfile.index("COPY bot")
    assert dockerfile.index("pip install .") < first_copy_of_code
    compose = (ROOT / "compose.yaml").read_text()
    assert "postgres" in compose and "volumes:" in compose


def _docker_engine() -> str | None:
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else "no Docker engine is running on this machine"


@pytest.mark.e2e
def test_docker_image_builds() -> None:
    reason = _docker_engine()
    if reason:
        pytest.skip(f"Docker build not tried: {reason}")
    result = subprocess.run(
        ["docker", "build", "-t", "lumbar-test", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
