"""PEP 517 build backend of the datashard package (pyproject.toml).

Runs the CMake build of the extension `_datashard` and the `datashard` CLI,
lets CMake lay out the package (install component `python_wheel`, stripped)
and zips it into a wheel. Standard library only, so builds need no download
and no build requirement: `pip install --no-build-isolation .` and
`python3 -m build --wheel --no-isolation` work offline.

Build folder: by default a fresh temporary one, configured as a Release build
of just the extension and the CLI. A configured CMake build folder is reused
instead (ninja then rebuilds only what changed) when named by the config
setting `build-dir` (`pip install -C build-dir=build .`, `python3 -m build
-C build-dir=build`) or by the environment variable DATASHARD_CMAKE_BUILD_DIR,
relative to the source folder; a folder without CMakeCache.txt is configured
there first. It must build the Python module (DATASHARD_BUILD_PYTHON) for the
interpreter running the build.
"""

import base64
import hashlib
import importlib.machinery
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]
NAME = "datashard"
# What an sdist needs to build the wheel (tests and benchmarks are off then).
SDIST_ENTRIES = ["CMakeLists.txt", "README.md", "pyproject.toml", "cmake", "include", "src", "tools", "python"]
SDIST_SKIPPED = re.compile(r"(^|/)__pycache__(/|$)|\.(pyc|so)$")
# Fixed zip timestamps keep wheels of the same files byte-identical.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _project():
    with open(SOURCE_DIR / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _version():
    text = (SOURCE_DIR / "CMakeLists.txt").read_text()
    match = re.search(r"project\(\s*datashard\s+VERSION\s+([0-9.]+)", text)
    if not match:
        raise RuntimeError(f"no project(datashard VERSION ...) in {SOURCE_DIR / 'CMakeLists.txt'}")
    return match.group(1)


def _dist_info():
    return f"{NAME}-{_version()}.dist-info"


def _metadata():
    project = _project()
    readme = (SOURCE_DIR / project["readme"]).read_text()
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {_version()}\n"
        f"Summary: {project['description']}\n"
        f"Requires-Python: {project['requires-python']}\n"
        "Description-Content-Type: text/markdown\n"
        f"\n{readme}"
    )


def _entry_points():
    scripts = _project().get("scripts", {})
    return "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())


def _wheel_tag():
    if sys.implementation.name != "cpython":
        raise RuntimeError(f"datashard's extension builds for CPython, not {sys.implementation.name}")
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    return f"cp{version}-cp{version}{sys.abiflags}-{platform}"


def _cmake(*args):
    subprocess.run(["cmake", *map(str, args)], check=True)


def _cache_value(build_dir, name):
    for line in (build_dir / "CMakeCache.txt").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.split(":")[0] == name:
            return value
    return None


def _configure(build_dir):
    args = [
        "-S", SOURCE_DIR, "-B", build_dir,
        "-DCMAKE_BUILD_TYPE=Release",
        "-DDATASHARD_BUILD_TESTS=OFF",
        "-DDATASHARD_BUILD_BENCH=OFF",
        "-DDATASHARD_BUILD_PYTHON=ON",
        f"-DPython_EXECUTABLE={sys.executable}",
        # Keeps the extension out of the source folder.
        f"-DDATASHARD_PYTHON_MODULE_DIR={build_dir / 'python'}",
    ]
    if "CMAKE_GENERATOR" not in os.environ and shutil.which("ninja"):
        args += ["-G", "Ninja"]
    _cmake(*args)


def _build_package(build_dir, staging):
    """Builds the extension and the CLI in build_dir and lays out the package
    under staging; returns nothing, raises on failure."""
    if not (build_dir / "CMakeCache.txt").exists():
        _configure(build_dir)
    if _cache_value(build_dir, "DATASHARD_BUILD_PYTHON") not in ("ON", "TRUE", "1", "YES"):
        raise RuntimeError(f"the CMake build folder {build_dir} does not build the Python module "
                           "(configure it with -DDATASHARD_BUILD_PYTHON=ON)")
    parallel = [] if "CMAKE_BUILD_PARALLEL_LEVEL" in os.environ else ["--parallel", os.cpu_count() or 1]
    _cmake("--build", build_dir, "--target", "_datashard", "datashard_cli", *parallel)
    _cmake("--install", build_dir, "--component", "python_wheel", "--prefix", staging, "--strip")
    expected = "_datashard" + importlib.machinery.EXTENSION_SUFFIXES[0]
    built = sorted(p.name for p in (staging / NAME).glob("_datashard*"))
    if built != [expected]:
        raise RuntimeError(f"the CMake build folder {build_dir} built {built} for "
                           f"{_cache_value(build_dir, 'Python_EXECUTABLE')}; {sys.executable} "
                           f"loads {expected}: use another build folder")


def _requested_build_dir(config_settings):
    setting = (config_settings or {}).get("build-dir") or os.environ.get("DATASHARD_CMAKE_BUILD_DIR")
    return SOURCE_DIR / setting if setting else None


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _zip_add(archive, name, data, mode=0o644):
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _write_wheel(wheel_directory, staging):
    dist_info = _dist_info()
    wheel_name = f"{NAME}-{_version()}-{_wheel_tag()}.whl"
    wheel_meta = (f"Wheel-Version: 1.0\nGenerator: {__name__}\nRoot-Is-Purelib: false\n"
                  f"Tag: {_wheel_tag()}\n")
    files = [(p.relative_to(staging).as_posix(), p.read_bytes(), p.stat().st_mode & 0o777)
             for p in sorted(staging.rglob("*")) if p.is_file()]
    files += [(f"{dist_info}/{name}", text.encode(), 0o644)
              for name, text in (("METADATA", _metadata()), ("WHEEL", wheel_meta),
                                 ("entry_points.txt", _entry_points()))]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data, _ in files)
    record += f"{dist_info}/RECORD,,\n"
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w") as archive:
        for name, data, mode in files:
            _zip_add(archive, name, data, mode)
        _zip_add(archive, f"{dist_info}/RECORD", record.encode())
    return wheel_name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with tempfile.TemporaryDirectory(prefix="datashard-wheel-") as tmp:
        tmp = Path(tmp)
        build_dir = _requested_build_dir(config_settings) or tmp / "build"
        _build_package(build_dir.resolve(), tmp / "staging")
        return _write_wheel(wheel_directory, tmp / "staging")


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = Path(metadata_directory) / _dist_info()
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(_metadata())
    (dist_info / "entry_points.txt").write_text(_entry_points())
    return dist_info.name


def build_sdist(sdist_directory, config_settings=None):
    root = f"{NAME}-{_version()}"
    sdist_name = f"{root}.tar.gz"
    with tarfile.open(Path(sdist_directory) / sdist_name, "w:gz") as archive:
        for entry in SDIST_ENTRIES:
            paths = [SOURCE_DIR / entry] + sorted((SOURCE_DIR / entry).rglob("*"))
            for path in paths:
                name = path.relative_to(SOURCE_DIR).as_posix()
                if path.is_file() and not SDIST_SKIPPED.search(name):
                    archive.add(path, f"{root}/{name}")
        info = tarfile.TarInfo(f"{root}/PKG-INFO")
        data = _metadata().encode()
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return sdist_name
