"""The package installs with the standard tools, offline: pip into a fresh
virtual environment, `python3 -m build` into a wheel. Under ctest both reuse
the CMake build folder the suite runs in (DATASHARD_CMAKE_BUILD_DIR), where
nothing is left to compile."""

import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

SNIPPET = """
import datashard
from datashard import Schema, create_table, open_table

schema = Schema(schema_id=1, fields=[
    {"id": 1, "name": "record_id", "type": "long", "required": True},
    {"id": 2, "name": "value", "type": "string", "required": True},
])
table = create_table("events", schema)
table.append_records(records=[{"record_id": 1, "value": "A"}, {"record_id": 2, "value": "B"}], schema=schema)
print(datashard.__file__)
print(sorted((row["record_id"], row["value"]) for row in open_table("events").scan()))
"""


def outside_env():
    """The environment without what points the suite at the source tree."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("DATASHARD_CLI", None)
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory, source_dir):
    root = tmp_path_factory.mktemp("venv")
    # The venv gets no pip of its own: this interpreter's pip installs into it
    # (--python), which spares the seconds of copying pip in.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install", "--quiet",
         "--no-build-isolation", "--no-index", "--no-cache-dir", str(source_dir)],
        cwd=root, env=outside_env(), check=True,
    )
    return root


def run(args, cwd):
    return subprocess.run(args, cwd=cwd, env=outside_env(), capture_output=True, text=True)


def test_snippet_creates_appends_and_scans_outside_the_repository(venv, tmp_path):
    result = run([str(venv / "bin" / "python"), "-c", SNIPPET], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    location, rows = result.stdout.splitlines()
    site_packages = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    assert location == str(site_packages / "datashard" / "__init__.py")
    assert rows == "[(1, 'A'), (2, 'B')]"
    assert (tmp_path / "events" / "metadata" / "v2.metadata.json").is_file()


@pytest.mark.parametrize("command", [["python", "-m", "datashard"], ["datashard"]])
def test_installed_cli_runs(venv, tmp_path, command):
    result = run([str(venv / "bin" / command[0])] + command[1:] + ["--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # The CLI the wheel carries, not the one in the build folder.
    assert f"Usage: {venv}/lib/" in result.stdout and "/site-packages/datashard/bin/datashard " in result.stdout


def test_wheel_carries_the_extension_and_the_cli(source_dir, tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(source_dir)],
        env=outside_env(), check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("datashard-*.whl")
    python = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_")
    assert wheel.name.endswith(f"-{python}-{python}-{platform}.whl")
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        entry_points = archive.read(f"datashard-{version}.dist-info/entry_points.txt")
    extension = "datashard/_datashard" + sysconfig.get_config_var("EXT_SUFFIX")
    assert extension in modes
    assert modes["datashard/bin/datashard"] & 0o111 == 0o111
    assert entry_points.decode() == "[console_scripts]\ndatashard = datashard.__main__:main\n"


def test_module_without_a_built_cli_says_so(tmp_path):
    env = dict(os.environ, DATASHARD_CLI=str(tmp_path / "no-such-datashard"))
    result = subprocess.run(
        [sys.executable, "-m", "datashard", "--help"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "the command-line tool is not built" in result.stderr
    assert "scripts/build.sh" in result.stderr
