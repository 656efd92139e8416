"""Run one container of a pod as a process, with the file system the pod would give it.

Started by the deploy test (:func:`popen`) as root inside a private mount namespace
(``unshare --mount --propagation private``), this script builds the container's
root file system and then becomes the container's process:

1. a fresh tmpfs becomes the new root; the host's ``/usr`` (with the ``/bin``,
   ``/lib``... links), ``/etc``, the Python installation the workspace venv was
   made from, and the repository are bind-mounted into it **read-only**, the
   workspace ``.venv`` also read-only at the image's ``/app/.venv``; ``/dev`` and
   ``/proc`` are the host's. A directory that must hold a volume's mount point it
   lacks (``/etc/helpdesk/tls`` in ``/etc``) is an overlay of the host's instead,
   with a writable layer of its own, as an image layer is: the mount point is made
   there, never on the host, and the overlay is read-only once the mounts are done;
2. ``/etc/passwd`` and ``/etc/group`` get the accounts the image creates (as in the
   image, the pod's uid has a name);
3. every volume of the pod is a fresh directory bind-mounted read-write at its
   ``mountPath`` (read-only when the mount says so);
4. with ``readOnlyRootFilesystem`` the tmpfs root itself is remounted read-only:
   the container can write nowhere but in its volumes;
5. ``chroot`` into it, ``chdir`` to the working directory, drop to the pod's
   ``runAsUser``/``runAsGroup`` with ``fsGroup`` as the only supplementary group
   (what the kubelet does), and ``exec`` the container's command with exactly the
   given environment. The process keeps this script's pid, so signals reach it.

Nothing of this is visible outside the namespace, and it all goes away with the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve()


@dataclass
class Mount:
    source: str
    target: str
    read_only: bool = True
    recursive: bool = False


@dataclass
class Spec:
    """Everything one container process needs; written as JSON for the launcher."""

    argv: list[str]
    env: dict[str, str]
    workdir: str
    uid: int
    gid: int
    groups: list[int]
    read_only_root: bool
    # Host directories (and files) shown at the same or another path, in order.
    mounts: list[Mount] = field(default_factory=list)
    # Symbolic links in the new root, e.g. bin -> usr/bin.
    links: dict[str, str] = field(default_factory=dict)
    # Extra lines for /etc/passwd and /etc/group (the image's accounts).
    passwd: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)


def popen(spec: Spec, *, base: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Starts the container process; ``base`` is a new directory for its spec and root mount point."""
    (base / "root").mkdir(parents=True)
    (base / "spec.json").write_text(json.dumps(asdict(spec)))
    command = ["unshare", "--mount", "--propagation", "private", "--"]
    command += [sys.executable, str(HERE), str(base)]
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, process_group=0
    )


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def _bind(source: str, target: Path, *, read_only: bool, recursive: bool = False) -> None:
    if Path(source).is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(exist_ok=True)
    _mount("--rbind" if recursive else "--bind", source, str(target))
    if read_only:
        _mount("-o", "remount,bind,ro", str(target))


def _accounts(root: Path, spec: Spec) -> None:
    """passwd/group with the image's accounts, mounted over the (read-only) host copies."""
    for name, extra in (("passwd", spec.passwd), ("group", spec.group)):
        if not extra:
            continue
        merged = root.parent / name
        merged.write_text(Path(f"/etc/{name}").read_text() + "".join(f"{line}\n" for line in extra))
        merged.chmod(0o644)
        _mount("--bind", str(merged), str(root / "etc" / name))
        _mount("-o", "remount,bind,ro", str(root / "etc" / name))


def _holds_new_mount_points(mount: Mount, mounts: list[Mount]) -> bool:
    """Whether a later mount goes to a path beneath ``mount`` that its source lacks."""
    below = [
        m.target for m in mounts if Path(m.target).is_relative_to(mount.target) and m.target != mount.target
    ]
    return any(not (Path(mount.source) / Path(t).relative_to(mount.target)).exists() for t in below)


def _overlay(source: str, target: Path, scratch: Path) -> None:
    """``source`` shown at ``target`` with a writable layer of its own (in ``scratch``),
    as a container's image layer is: mount points can be made in it, the host's
    directory stays untouched."""
    (scratch / "upper").mkdir(parents=True)
    (scratch / "work").mkdir()
    target.mkdir(parents=True, exist_ok=True)
    layers = f"lowerdir={source},upperdir={scratch / 'upper'},workdir={scratch / 'work'}"
    _mount("-t", "overlay", "overlay", "-o", layers, str(target))


def build_root(spec: Spec, root: Path) -> None:
    _mount("-t", "tmpfs", "-o", "mode=0755,size=16m", "tmpfs", str(root))
    for link, target in spec.links.items():
        (root / link).symlink_to(target)
    layered: list[Path] = []
    for index, mount in enumerate(spec.mounts):
        target = root / mount.target.lstrip("/")
        if mount.read_only and Path(mount.source).is_dir() and _holds_new_mount_points(mount, spec.mounts):
            # e.g. /etc, with a volume at /etc/helpdesk/tls: read-only once its mount points exist.
            _overlay(mount.source, target, root.parent / "layers" / str(index))
            layered.append(target)
            continue
        _bind(mount.source, target, read_only=mount.read_only, recursive=mount.recursive)
    _accounts(root, spec)
    (root / spec.workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for target in layered:
        _mount("-o", "remount,ro", str(target))
    if spec.read_only_root:
        _mount("-o", "remount,ro", str(root))


def main(base: Path) -> None:
    spec = Spec(**json.loads((base / "spec.json").read_text()))
    spec.mounts = [Mount(**m) for m in spec.mounts]  # type: ignore[arg-type]
    root = base / "root"
    build_root(spec, root)
    os.chroot(root)
    os.chdir(spec.workdir)
    os.setgroups(spec.groups)
    os.setgid(spec.gid)
    os.setuid(spec.uid)
    os.execvpe(spec.argv[0], spec.argv, spec.env)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
