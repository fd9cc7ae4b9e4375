"""The real servers a run needs: one shared deployment per adapter, server and proxy mode that
tests take turns on, and fresh ones for the test that compares every adapter at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asgi_compare.harness import REFERENCE, Deployment, Nginx, applies

Key = tuple[str, str, str]  # framework, server, proxy mode


@dataclass
class Matrix:
    """Every deployment the selected options call for, behind one nginx, ports fixed up front.

    ``shared`` deployments serve most tests one after another; ``differential`` ones are started
    four at a time, fresh, for the test that compares all adapters on one server and mode.
    """

    proxy: Nginx
    shared: dict[Key, Deployment]
    differential: dict[Key, Deployment]
    _used: set[Key] = field(default_factory=set)  # shared ones that have served a test

    @classmethod
    def plan(
        cls, workdir: Path, frameworks: list[str], servers: list[str], modes: list[str]
    ) -> Matrix:
        proxy = Nginx(workdir)
        compared = frameworks if REFERENCE in frameworks else [REFERENCE, *frameworks]

        def deployments(names: list[str]) -> dict[Key, Deployment]:
            return {
                (f, s, m): Deployment(
                    f, s, m, workdir=workdir, proxy=None if m == "none" else proxy
                )
                for s in servers
                for m in modes
                for f in names
                if applies(f, s)
            }

        return cls(proxy, deployments(frameworks), deployments(compared))

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
        """Stop whatever is still running, the proxy last."""
        stop_all([*self.shared.values(), *self.differential.values()])
        self.proxy.stop()


def stop_all(deployments: list[Deployment]) -> None:
    """Stop together: hypercorn and Sanic's own server take over a second each to exit."""
    with ThreadPoolExecutor(max(len(deployments), 1)) as pool:
        list(pool.map(Deployment.stop, deployments))
