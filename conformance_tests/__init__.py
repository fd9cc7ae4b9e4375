"""One conformance suite for the four adapters; no test body names a framework.

Its conftest loads its pytest plugin (conformance_tests.plugin). From anywhere, once the project
is installed: ``pytest -p conformance_tests.plugin --pyargs conformance_tests``; the ``-p`` is
what makes the suite's options (``--framework`` ...) known, since pytest reads the command line
before it finds a conftest by a package name.
"""
