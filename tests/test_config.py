"""Stack config validation: the shipped stacks are valid; every bad case names key, value and fix."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.config import ConfigError, load_stack_config
from tests.support import PROJECT_DIR, config_values, stack_config


def problems_of(values: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(values)
    return [str(problem) for problem in caught.value.problems]


def shipped_values(stack: str) -> dict[str, Any]:
    raw = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {key.split(":", 1)[1]: value for key, value in raw.items() if key.startswith("dicomstore:")}
    return {**values, "region": raw["oci:region"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_are_valid(stack: str) -> None:
    config = load_stack_config(shipped_values(stack))
    assert config.environment == stack


def test_dev_is_small_and_prod_is_the_full_architecture() -> None:
    dev = load_stack_config(shipped_values("dev"))
    prod = load_stack_config(shipped_values("prod"))
    assert (dev.orthanc.runtime, dev.database.instance_count, dev.connectivity.fastconnect.enabled) == (
        "container_instances", 1, False,
    )  # fmt: skip
    assert (prod.orthanc.runtime, prod.oke.gpu_pool_enabled, prod.connectivity.fastconnect.enabled) == (
        "oke",
        True,
        True,
    )
    assert prod.database.instance_count >= 2 and prod.ai.enabled and prod.connectivity.ipsec.enabled


def test_defaults_are_safe() -> None:
    config = stack_config()
    assert not config.network.public_load_balancer
    assert config.security.key_rotation_days <= 365
    assert config.security.cloud_guard_enabled and config.security.security_zone_enabled
    assert config.network.flow_log_retention_days >= 90


def test_config_is_frozen() -> None:
    config = stack_config()
    with pytest.raises(ValueError, match="frozen"):
        config.network.public_load_balancer = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"tenancyOcid": "ocid1.tenancy.oc1..short"}, r"dicomstore:tenancyOcid = 'ocid1.tenancy.oc1..short': is not an OCID"),
        (
            {"tenancyOcid": "ocid1.compartment.oc1..aaaaaaaaexampleexampleexample"},
            r"dicomstore:tenancyOcid = .*is the OCID of a compartment, not of a tenancy. Fix: use an OCID of the form",
        ),
        ({"parentCompartmentOcid": "my-compartment"}, r"dicomstore:parentCompartmentOcid = 'my-compartment': is not an OCID"),
        ({"region": "eu-frankfurt-9"}, r"oci:region = 'eu-frankfurt-9': is not an OCI region identifier. Fix: use a region id"),
        ({"network": {"vcnCidrs": ["100.64.0.0/16"]}}, r"network.vcnCidrs\[0\] = '100.64.0.0/16': is not an RFC 1918"),
        ({"network": {"vcnCidrs": ["10.20.0.1/16"]}}, r"network.vcnCidrs\[0\] = '10.20.0.1/16': is not a CIDR block"),
        (
            {"network": {"subnets": {"app": "10.99.1.0/24"}}},
            r"network.subnets.app = '10.99.1.0/24': lies outside every VCN CIDR .*Fix: choose a subnet inside",
        ),
        (
            {"network": {"subnets": {"db": "10.20.1.128/25"}}},
            r"network.subnets.db = '10.20.1.128/25': overlaps the app tier \(10.20.1.0/24\). Fix: give every tier",
        ),
        (
            {"network": {"vcnCidrs": ["10.20.0.0/16"], "onPremCidrs": ["10.20.128.0/20"]}},
            r"network.onPremCidrs\[0\] = '10.20.128.0/20': overlaps the VCN CIDR 10.20.0.0/16.*Fix: choose VCN CIDRs",
        ),
        (
            {"network": {"peeredCidrs": ["192.168.100.0/24"]}},
            r"network.peeredCidrs = \['192.168.100.0/24'\]: is no longer supported: nothing routed, admitted or "
            r"peered these networks. Fix: list networks that reach the VCN over the hospital's FastConnect/IPSec in "
            r"network.onPremCidrs",
        ),
        ({"network": {"subnets": {"okeApi": "10.20.4.0/30"}}}, r"network.subnets.okeApi = '10.20.4.0/30': is too small"),
        ({"network": {"bogus": 1}}, r"dicomstore:network.bogus = 1: is not a known key. Fix: check its spelling"),
        (
            {"storage": {"infrequentAccessAfterDays": 90, "archiveAfterDays": 60}},
            r"storage.archiveAfterDays = 60: must be later than storage.infrequentAccessAfterDays \(90\)",
        ),
        ({"storage": {"replicationRegion": "eu-frankfurt-1"}}, r"storage.replicationRegion = 'eu-frankfurt-1': is the primary"),
        ({"orthanc": {"image": "orthancteam/orthanc:latest"}}, r"orthanc.image = 'orthancteam/orthanc:latest': is not pinned"),
        ({"orthanc": {"image": "orthancteam/orthanc"}}, r"orthanc.image = 'orthancteam/orthanc': is not pinned"),
        ({"orthanc": {"replicas": 0}}, r"orthanc.replicas = 0: Input should be greater than or equal to 1"),
        ({"orthanc": {"tlsMinVersion": "TLSv1.1"}}, r"orthanc.tlsMinVersion = 'TLSv1.1': Input should be 'TLSv1.2' or 'TLSv1.3'"),
        (
            {"orthanc": {"runtime": "oke"}, "oke": {"nodeCount": 20, "maxPodsPerNode": 110},
             "network": {"subnets": {"okePods": "10.20.32.0/22"}}},
            r"network.subnets.okePods = '10.20.32.0/22': offers 1021 addresses but 20 nodes x 110 pods need 2200",
        ),
        (
            {"connectivity": {"ipsec": {"enabled": True}}},
            r"connectivity.ipsec.cpeIpAddress = None: is required when the IPSec backup is enabled",
        ),
        ({"oke": {"gpuPoolEnabled": True}}, r"oke.gpuPoolEnabled = True: needs the OKE runtime"),
    ],
)  # fmt: skip
def test_bad_value_names_key_value_and_fix(overrides: dict[str, Any], expected: str) -> None:
    problems = problems_of(config_values(**overrides))
    assert any(__import__("re").search(expected, problem) for problem in problems), problems
    assert all(". Fix: " in problem for problem in problems)


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(config_values(region="nowhere-1", tenancyOcid="x", network={"bogus": True}))
    assert len(problems) == 3


def test_missing_required_keys_are_named() -> None:
    problems = problems_of({})
    assert {problem.split(" = ")[0] for problem in problems} == {
        "oci:region", "dicomstore:tenancyOcid", "dicomstore:parentCompartmentOcid",
    }  # fmt: skip


def test_config_error_is_a_pulumi_run_error_so_the_engine_prints_no_traceback() -> None:
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


def test_model_is_strict_about_unknown_sections() -> None:
    with pytest.raises(ConfigError, match=r"dicomstore:orthancc = .*is not a known key"):
        load_stack_config(config_values(orthancc={}))


@pytest.mark.parametrize(
    ("cidr", "overlapped"),
    [
        ("10.0.8.0/24", "10.0.0.0/8"),
        ("172.20.0.0/16", "172.16.0.0/12"),
        ("192.168.1.0/24", "192.168.0.0/16"),
        ("100.64.10.0/24", "100.64.0.0/10"),
        ("127.0.0.1/32", "127.0.0.0/8"),
        ("169.254.0.0/16", "169.254.0.0/16"),
        ("fd00:1::/64", "fc00::/7"),
        ("8.0.0.0/6", "10.0.0.0/8"),  # a public-looking supernet that swallows a private range
    ],
)
def test_bastion_clients_must_be_public_egress_ranges(cidr: str, overlapped: str) -> None:
    """Issue 12 item 14: clients reach an OCI Bastion on its public endpoint, and `client_cidr_block_allow_list`
    is "a list of address ranges ... that you want to allow to connect to sessions hosted by this bastion"
    (oracle/terraform-provider-oci docs, r/bastion_bastion): the source a Bastion sees is the admins' public
    egress address, never an RFC 1918 / RFC 6598 / loopback / link-local one."""
    problems = problems_of(
        config_values(security={"cloudGuardReportingRegion": "eu-frankfurt-1", "adminCidrs": [cidr]})
    )
    assert problems == [
        f"dicomstore:security.adminCidrs[0] = {cidr!r}: is not a public range (it overlaps {overlapped}), but "
        "clients reach the Bastion on its public endpoint, from their public egress address. Fix: list the "
        "admins' public egress CIDRs (the addresses the internet sees their connections come from), e.g. "
        "198.51.100.0/24."
    ]


def test_public_admin_egress_ranges_are_accepted() -> None:
    admins = ["198.51.100.0/24", "203.0.113.7/32", "2001:db8::/32"]
    config = stack_config(security={"cloudGuardReportingRegion": "eu-frankfurt-1", "adminCidrs": admins})
    assert config.security.admin_cidrs == admins
