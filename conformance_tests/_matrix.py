"""The real servers a run needs: one shared deployment per adapter and target (server, proxy,
mode) that tests take turns on, and fresh ones for the test that compares every adapter at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asgi_compare.harness import REFERENCE, Deployment, Proxy, applies
from asgi_compare.harness.proxies import proxies_in
from conformance_tests._options import Target

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
    _used: set[Key] = field(default_factory=set)  # shared ones that have served a test

    @classmethod
    def plan(cls, workdir: Path, frameworks: list[str], targets: list[Target]) -> Matrix:
        proxies = proxies_in(workdir, (t.proxy for t in targets if t.proxy))
        compared = frameworks if REFERENCE in frameworks else [REFERENCE, *frameworks]

        def deployments(names: list[str]) -> dict[Key, Deployment]:
            return {
                (f, t): Deployment(f, t.server, t.mode, workdir=workdir, proxy=proxies.get(t.proxy))
                for t in targets
                for f in names
                if applies(f, t.server)
            }

        return cls(proxies, deployments(frameworks), deployments(compared))

    def start(self, key: Key) -> Deployment:
        """Start the shared deployment of ``key`` and wait until it listens."""
        d = self.shared[key]
        d.start()
        d.wait_ready()
        self._used.discard(key)
        return d

    def use(self, key: Key, *, fresh: bool) -> Deployment:
        """The shared deployment for a test; restarted first if the test needs a ``fresh`` app
        and another test has used this one since it started."""
        d = self.shared[key]
        if fresh and key in self._used:
            d.restart()
        self._used.add(key)
        return d

    def stop(self, key: Key) -> None:
        self.shared[key].stop()
        self._used.discard(key)

    def close(self) -> None:
        """Stop whatever is still running, the proxies last."""
        stop_all([*self.shared.values(), *self.differential.values()])
        for proxy in self.proxies.values():
            proxy.stop()


def stop_all(deployments: list[Deployment]) -> None:
    """Stop together: hypercorn and Sanic's own server take over a second each to exit."""
    with ThreadPoolExecutor(max(len(deployments), 1)) as pool:
        list(pool.map(Deployment.stop, deployments))
