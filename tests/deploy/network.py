"""How the stand-in cluster resolves Services: names in settings become 127.0.0.1 addresses.

Every pod has its own host ports (``cluster.py``). A Service port leads to the port
of each pod its selector matches, in the order the pods were planned (a Deployment's
replicas one after the other); Services of servers the test runs itself are bound to
their host port. In an env value or a command line:

- ``dns:///<service>:<port>`` (a gRPC target: what a headless Service's DNS name
  resolves to) becomes ``ipv4:127.0.0.1:<port of pod 1>,127.0.0.1:<port of pod 2>,...``,
  every pod behind it, as DNS would list their addresses;
- ``<service>[.<ns>[.svc[.cluster.local]]]:<port>`` becomes ``127.0.0.1:<port of the
  first pod>`` (a ClusterIP picks one pod per connection);
- the ``--host=<service> ... --port=<port>`` pair of ``pg_isready`` and ``psql``
  becomes ``--host=127.0.0.1 ... --port=<port>``.

A Service name left in an env value afterwards fails the test: nothing here would
resolve it.
"""

from __future__ import annotations

import re

from .objects import Obj, Objects, Unresolvable, pod_of, selects


class Routes:
    """The host ports behind each Service port of one rendered release."""

    def __init__(self, objects: Objects, external: dict[tuple[str, int], int]) -> None:
        self.objects = objects
        self._ports: dict[tuple[str, int], list[int]] = {k: [v] for k, v in external.items()}

    def build(self, pods: list[Obj], host_ports: dict[str, dict[str, int]]) -> None:
        """Each Service port → the port of every pod (of ``pods``) it selects."""
        for service in self.objects.of_kind("Service"):
            name = service["metadata"]["name"]
            selector = service["spec"].get("selector") or {}
            backends = [p for p in pods if selects(selector, p["metadata"].get("labels") or {})]
            for port in service["spec"]["ports"]:
                if (name, port["port"]) in self._ports:
                    continue
                if not backends:
                    raise Unresolvable(f"Service/{name} selects no pod that runs here")
                target = str(port.get("targetPort", port["port"]))
                ports = []
                for backend in backends:
                    pod_ports = host_ports[backend["metadata"]["name"]]
                    if target not in pod_ports:
                        raise Unresolvable(f"Service/{name} port {port['port']}: pod has no port {target}")
                    ports.append(pod_ports[target])
                self._ports[(name, port["port"])] = ports

    def ports(self, service: str, port: int) -> list[int]:
        return list(self._ports[(service, port)])

    def resolve(self, text: str, *, where: str, strict: bool = True) -> str:
        """Service references in ``text`` replaced by 127.0.0.1 and the ports of their pods."""
        services = {s for s, _ in self._ports}
        services |= {s["metadata"]["name"] for s in self.objects.of_kind("Service")}
        suffix = rf"(?:\.{re.escape(self.objects.namespace)}(?:\.svc(?:\.cluster\.local)?)?)?"
        for service in services:
            host = rf"(?<![\w.-]){re.escape(service)}{suffix}"

            def ports_of(match: re.Match[str], service: str = service) -> list[int]:
                port = int(match.group("port"))
                if (service, port) not in self._ports:
                    raise Unresolvable(f"{where}: {service}:{port} is not a port of that Service")
                return self._ports[(service, port)]

            text = re.sub(
                rf"dns:///{host}:(?P<port>\d+)(?!\d)",
                lambda m, f=ports_of: "ipv4:" + ",".join(f"127.0.0.1:{p}" for p in f(m)),
                text,
            )
            text = re.sub(host + r":(?P<port>\d+)(?!\d)", lambda m, f=ports_of: f"127.0.0.1:{f(m)[0]}", text)
            # pg_isready / psql --host=<service> ... --port=<port>: the two halves of one address.
            text = re.sub(
                rf"--host={host}(?P<mid>\s.*?)--port=(?P<port>\d+)",
                lambda m, f=ports_of: f"--host=127.0.0.1{m.group('mid')}--port={f(m)[0]}",
                text,
            )
            if strict and re.search(rf"(^|//|@){host}(?![\w.-])", text):
                raise Unresolvable(f"{where}: {text!r} names Service {service} without a port")
        return text


def replica_pods(doc: Obj, replicas: int) -> list[Obj]:
    """The pods of a workload: the first named like it, the others ``<name>-2``, ``<name>-3``..."""
    first = pod_of(doc)
    name = first["metadata"]["name"]
    others = range(2, replicas + 1)
    return [first] + [{**first, "metadata": {**first["metadata"], "name": f"{name}-{i}"}} for i in others]
