"""Which URLs a school's credentials may be sent to: https, a public address, an allowed host."""

from __future__ import annotations

import ipaddress

import pytest

from schoolbrug.links import public_address
from schoolbrug.links.public_address import (
    RefusedAddress,
    check_url,
    host_allowed,
    is_public,
    public_addresses,
)


@pytest.fixture(autouse=True)
def any_host(settings):
    settings.SCHOOLBRUG_INFORMAT_HOSTS = []
    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = False


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # a cloud's metadata service
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_special_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "193.191.245.1", "2a00:1450:4001::1"])
def test_internet_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/api",
        "https://LOCALHOST./api",
        "https://api.localhost/x",
        "https://127.0.0.1/api",
        "https://10.1.2.3/api",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/api",
        "https://[::ffff:127.0.0.1]/api",
        "https://[::ffff:a9fe:a9fe]/api",
        "http://8.8.8.8/api",
        "http://leerlingenapi.informatsoftware.be/1/students",
        "ftp://leerlingenapi.informatsoftware.be/x",
        "https://user:pass@leerlingenapi.informatsoftware.be/x",
        "https:///path",
        "https://host:port/x",
    ],
)
def test_refused_urls(url):
    with pytest.raises(RefusedAddress) as refused:
        check_url(url)
    assert refused.value.reason_nl and refused.value.reason_en


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public(monkeypatch):
    answers = {
        "intern.example.be": ["10.0.0.7"],
        "gemengd.example.be": ["8.8.8.8", "192.168.0.3"],
        "publiek.example.be": ["8.8.8.8", "2a00:1450:4001::1"],
        "rebind.example.be": ["::ffff:127.0.0.1"],
    }
    monkeypatch.setattr(
        public_address,
        "_resolve",
        lambda host, port: [ipaddress.ip_address(a) for a in answers[host]],
    )
    for host in ("intern.example.be", "gemengd.example.be", "rebind.example.be"):
        with pytest.raises(RefusedAddress):
            public_addresses(host, 443)
    assert public_addresses("publiek.example.be", 443) == ["8.8.8.8", "2a00:1450:4001::1"]


def test_the_allow_list_takes_patterns_and_by_default_informats_hosts(settings):
    from django.conf import settings as live

    settings.SCHOOLBRUG_INFORMAT_HOSTS = ["*.informatsoftware.be", "www.identityserver.be"]
    assert host_allowed("leerlingenapi.informatsoftware.be")
    assert host_allowed("www.identityserver.be")
    assert not host_allowed("informatsoftware.be.evil.example")
    assert not host_allowed("identityserver.be")
    with pytest.raises(RefusedAddress, match="not in SCHOOLBRUG_INFORMAT_HOSTS"):
        check_url("https://8.8.8.8/x")  # a literal address is no Informat host either
    check_url("https://leerlingenapi.informatsoftware.be/1/students")
    assert live.SCHOOLBRUG_INFORMAT_HOSTS == settings.SCHOOLBRUG_INFORMAT_HOSTS


def test_the_default_allow_list_is_informats_public_api():
    from schoolbrug import settings as defaults

    assert defaults.SCHOOLBRUG_INFORMAT_HOSTS == ["*.informatsoftware.be", "www.identityserver.be"]


def test_loopback_only_with_the_test_setting(settings):
    for url in ("https://127.0.0.1:8443/x", "http://127.0.0.1:8080/x", "http://localhost/x"):
        with pytest.raises(RefusedAddress):
            check_url(url)
    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = True
    for url in ("https://127.0.0.1:8443/x", "http://127.0.0.1:8080/x", "http://[::1]/x"):
        check_url(url)
    assert public_addresses("127.0.0.1", 80) == ["127.0.0.1"]
    # Still nothing else: not a private address, not plain http elsewhere.
    for url in ("https://10.0.0.1/x", "http://8.8.8.8/x"):
        with pytest.raises(RefusedAddress):
            check_url(url)
