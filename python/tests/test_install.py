"""After scripts/install_python.sh both interpreters import the package from
any folder, and `python3 -m datashard` runs the command-line tool."""

import os
import shutil
import subprocess
import sys

import pytest

INTERPRETERS = sorted({"/usr/bin/python3", shutil.which("python3") or "/usr/bin/python3"})


def clean_env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def installed(source_dir):
    subprocess.run(["bash", str(source_dir / "scripts" / "install_python.sh")], check=True)
    # Idempotent: a second run changes nothing and says nothing.
    again = subprocess.run(
        ["bash", str(source_dir / "scripts" / "install_python.sh")],
        check=True,
        capture_output=True,
        text=True,
    )
    assert again.stdout == ""
    return source_dir


@pytest.mark.parametrize("python", INTERPRETERS)
def test_import_from_another_folder(installed, python, tmp_path):
    result = subprocess.run(
        [python, "-c", "import datashard, sys; print(datashard.__file__); print(sys.version_info[:2])"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    location, version = result.stdout.splitlines()
    assert location == str((installed / "python" / "datashard" / "__init__.py").resolve())
    assert version == "(3, 11)"


@pytest.mark.parametrize("python", INTERPRETERS)
def test_module_runs_the_cli(installed, python, tmp_path):
    env = clean_env()
    env.pop("DATASHARD_CLI", None)
    result = subprocess.run(
        [python, "-m", "datashard", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "datashard" in result.stdout and "--help" in result.stdout


def test_module_without_a_built_cli_says_so(tmp_path):
    env = dict(os.environ, DATASHARD_CLI=str(tmp_path / "no-such-datashard"))
    result = subprocess.run(
        [sys.executable, "-m", "datashard", "--help"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "the command-line tool is not built" in result.stderr
    assert "scripts/build.sh" in result.stderr
