"""One conformance suite for the four adapters; no test body names a framework.

It is a pytest plugin (entry point ``pytest11``), so ``pytest --pyargs conformance_tests`` runs
it from anywhere once the project is installed.
"""
