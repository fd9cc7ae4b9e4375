"""The real servers a run needs: one shared deployment per adapter and target (server, proxy,
mode) that tests take turns on, and fresh ones for the test that compares every adapter at once.

The shared deployments of one adapter, server and mode answer from one server process, whichever
proxy runs apart from it (:func:`conformance_tests._options.server_of`): the proxies are what
differs between those targets, and a server process costs about 4 s of CPU to start and warm
up. A server lingers after its last test on a target, for the next target it serves; it is
stopped when a test needs another server, and at the end."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asgi_compare.harness import REFERENCE, Deployment, Proxy, applies
from asgi_compare.harness.proxies import proxies_in
from conformance_tests._options import Target, server_of

Key = tuple[str, Target]  # framework, target


@dataclass
class Matrix:
    """Every deployment the selected options call for, behind one process of each proxy,
    ports fixed up front.

    ``shared`` deployments serve most tests one after another; ``differential`` ones are started
    four at a time, fresh, for the test that compares all adapters on one target.
    """

    proxies: dict[str, Proxy]
    shared: dict[Key, Deployment]
    differential: dict[Key, Deployment]
    # The servers that have answered a test since they started, and those left running after
    # their target's tests, for the next target they serve.
    _used: set[Deployment] = field(default_factory=set)
    _lingering: set[Deployment] = field(default_factory=set)

    @classmethod
    def plan(cls, workdir: Path, frameworks: list[str], targets: list[Target]) -> Matrix:
        proxies = proxies_in(workdir, (t.proxy for t in targets if t.proxy))
        compared = frameworks if REFERENCE in frameworks else [REFERENCE, *frameworks]

        def deployments(names: list[str], *, share: bool) -> dict[Key, Deployment]:
            planned: dict[Key, Deployment] = {}
            first: dict[str, Deployment] = {}  # the deployment that runs each server
            for t in targets:
                for f in (f for f in names if applies(f, t.server)):
                    upstream = first.get(server_of(f, t)) if share and t.proxy else None
                    planned[f, t] = d = Deployment(
                        f,
                        t.server,
                        t.mode,
                        workdir=workdir,
                        proxy=proxies.get(t.proxy),
                        upstream=upstream,
                    )
                    first.setdefault(server_of(f, t), d)
            return planned

        # The test comparing every adapter wants fresh apps: its deployments share nothing.
        return cls(proxies, deployments(frameworks, share=True), deployments(compared, share=False))

    def start(self, key: Key) -> Deployment:
        """Start the shared deployment of ``key`` (its server, unless it is running for another
        target) and wait until it listens; any other server left running is stopped."""
        d = self.shared[key]
        server = d.upstream or d
        for other in self._lingering - {server}:
            other.stop()
            self._used.discard(other)
        self._lingering.clear()
        if server.proc is None:
            self._used.discard(server)
        if d.upstream is not None or d.proc is None:
            d.start()
        d.wait_ready()
        return d

    def use(self, key: Key, *, fresh: bool) -> Deployment:
        """The shared deployment for a test; its server restarted first if the test needs a
        ``fresh`` app and another test has used the server since it started."""
        d = self.shared[key]
        server = d.upstream or d
        if fresh and server in self._used:
            d.restart()
        self._used.add(server)
        return d

    def stop(self, key: Key) -> None:
        """After the last test of ``key``: its server is left running, for the next target."""
        d = self.shared[key]
        self._lingering.add(d.upstream or d)
        if d.upstream is not None:
            d.stop()

    def close(self) -> None:
        """Stop whatever is still running, the proxies last."""
        stop_all([*self.shared.values(), *self.differential.values()])
        self._lingering.clear()
        for proxy in self.proxies.values():
            proxy.stop()


def stop_all(deployments: list[Deployment]) -> None:
    """Stop together: hypercorn and Sanic's own server take over a second each to exit."""
    with ThreadPoolExecutor(max(len(deployments), 1)) as pool:
        list(pool.map(Deployment.stop, deployments))
