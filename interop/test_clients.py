"""Every client the suite relies on is installed, at the version this suite was written for.

A missing client fails here (and in every test that uses it); nothing is skipped.
"""
import pytest

from clients import CLIENTS


@pytest.mark.parametrize("name", list(CLIENTS))
def test_client_installed(name):
    client = CLIENTS[name]
    info = client.version()
    for field, prefix in client.expect:
        assert str(info.get(field, "")).startswith(prefix), \
            "%s: expected %s %s*, found %r (%s)" % (name, field, prefix, info.get(field), client.description)
