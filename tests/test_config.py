"""Stack config validation: the shipped stacks are valid; every bad case names key, value and fix."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.config.schema import ConfigError, load_stack_config
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
        ({"network": {"bogus": 1}}, r"dicomstore:network.bogus = 1: is not a key of dicomstore:network. Fix: remove it"),
        (
            {"storage": {"archiveAfterDays": 365}},
            r"storage.archiveAfterDays = 365: is no longer supported: Orthanc's S3 plugin reads objects with a plain "
            r"GET",
        ),
        ({"storage": {"replicationRegion": "eu-frankfurt-1"}}, r"storage.replicationRegion = 'eu-frankfurt-1': is the primary"),
        ({"orthanc": {"image": "orthancteam/orthanc:latest"}}, r"orthanc.image = 'orthancteam/orthanc:latest': is not pinned"),
        ({"orthanc": {"image": "orthancteam/orthanc"}}, r"orthanc.image = 'orthancteam/orthanc': is not pinned"),
        ({"orthanc": {"replicas": 0}}, r"orthanc.replicas = 0: is less than 1. Fix: use 1 or more"),
        ({"orthanc": {"tlsMinVersion": "TLSv1.1"}}, r"orthanc.tlsMinVersion = 'TLSv1.1': is not one of the choices. Fix: use one of \"TLSv1.2\", \"TLSv1.3\""),
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
    with pytest.raises(
        ConfigError, match=r"dicomstore:orthancc = .*is not a known key. Fix: rename it to dicomstore:orthanc"
    ):
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


# --- one specific line per bad config (issue 18) ----------------------------------------------------------------

# Each bad config and the exact line it must give: the key as written, the value, the problem in words, a fix
# that says what to write. None of them may fall back to pydantic's wording or a regular expression.
BAD_CONFIGS: list[tuple[dict[str, Any], str]] = [
    (
        {"orthanc": {"allowedModalities": [{"aet": "ct scanner", "host": "10.0.4.10"}]}},
        "dicomstore:orthanc.allowedModalities[0].aet = 'ct scanner': does not have the allowed form. "
        "Fix: use 1 to 16 characters: A-Z 0-9 _ - . space (upper case only).",
    ),
    (
        {"orthanc": {"aet": "A_VERY_LONG_AE_TITLE"}},
        "dicomstore:orthanc.aet = 'A_VERY_LONG_AE_TITLE': does not have the allowed form. "
        "Fix: use 1 to 16 characters: A-Z 0-9 _ - . space (upper case only), e.g. \"DICOMSTORE\".",
    ),
    (
        {"network": {"dnsLabel": "My-VCN"}},
        "dicomstore:network.dnsLabel = 'My-VCN': does not have the allowed form. Fix: use 1 to 15 characters: "
        "a-z 0-9, starting with a letter (lower case only), e.g. \"dicomstore\".",
    ),
    (
        {"security": {"notificationEmails": ["pacs-admin"]}},
        "dicomstore:security.notificationEmails[0] = 'pacs-admin': does not have the allowed form. "
        "Fix: use an email address such as pacs-admin@hospital.example.",
    ),
    (
        {"oke": {"kubernetesVersion": "1.31"}},
        "dicomstore:oke.kubernetesVersion = '1.31': does not have the allowed form. Fix: use a Kubernetes version "
        "written v1.<minor>.<patch>, such as v1.31.1, e.g. \"v1.31.1\".",
    ),
    (
        {"orthanc": {"runtime": "kubernetes"}},
        "dicomstore:orthanc.runtime = 'kubernetes': is not one of the choices. "
        "Fix: use one of \"container_instances\", \"oke\".",
    ),
    (
        {"database": {"postgresVersion": 17}},
        "dicomstore:database.postgresVersion = 17: is not one of the choices. Fix: use one of \"14\", \"15\", \"16\".",
    ),
    (
        {"environment": "production"},
        "dicomstore:environment = 'production': is not one of the choices. Fix: use one of \"dev\", \"test\", \"prod\".",
    ),
    (
        {"orthanc": {"replica": 2}},
        "dicomstore:orthanc.replica = 2: is not a key of dicomstore:orthanc. "
        "Fix: rename it to dicomstore:orthanc.replicas, the closest known key.",
    ),
    (
        {"network": {"vcn_cidrs": ["10.20.0.0/16"]}},
        "dicomstore:network.vcn_cidrs = ['10.20.0.0/16']: is not a key of dicomstore:network. "
        "Fix: rename it to dicomstore:network.vcnCidrs, the closest known key.",
    ),
    (
        {"secuirty": {}},
        "dicomstore:secuirty = {}: is not a known key. Fix: rename it to dicomstore:security, the closest known key.",
    ),
    (
        {"orthanc": {"nodeShape": "VM.Standard.E5.Flex"}},
        "dicomstore:orthanc.nodeShape = 'VM.Standard.E5.Flex': is not a key of dicomstore:orthanc. "
        "Fix: it belongs under dicomstore:oke: move it there.",
    ),
    (
        {"orthanc": {"replicas": "two"}},
        "dicomstore:orthanc.replicas = 'two': is not a whole number. Fix: write a whole number without quotes, e.g. 1.",
    ),
    (
        {"orthanc": {"replicas": 1.5}},
        "dicomstore:orthanc.replicas = 1.5: is not a whole number. Fix: write a whole number without quotes, e.g. 1.",
    ),
    (
        {"network": {"publicLoadBalancer": "maybe"}},
        "dicomstore:network.publicLoadBalancer = 'maybe': is not true or false. Fix: write true or false, e.g. false.",
    ),
    (
        {"ai": {"modelOcid": 5}},
        "dicomstore:ai.modelOcid = 5: is not text. Fix: write it as text (quoted when it looks like a number).",
    ),
    (
        {"network": {"vcnCidrs": "10.20.0.0/16"}},
        "dicomstore:network.vcnCidrs = '10.20.0.0/16': is not a list. "
        "Fix: write it as a YAML list, e.g. [\"10.20.0.0/16\"].",
    ),
    (
        {"network": {"vcnCidrs": []}},
        "dicomstore:network.vcnCidrs = []: lists 0 items. Fix: list at least 1.",
    ),
    (
        {"orthanc": None},
        "dicomstore:orthanc = None: is not a mapping of keys. Fix: indent its keys under it, chosen among: aet, "
        "allowedModalities, certificateOcid, corsAllowedOrigins, dicomTls, image, indexConnections, memoryGb, "
        "modalityCaBundleOcid, ocpus, passwordRollover, replicas, runtime, secretFetcherImage, shape, "
        "tlsMinVersion, userRoles, users.",
    ),
    (
        {"costCentre": ""},
        "dicomstore:costCentre = '': is too short. Fix: use at least 1 character(s), e.g. \"radiology\".",
    ),
    (
        {"costCentre": "x" * 65},
        f"dicomstore:costCentre = '{'x' * 65}': is too long. Fix: use at most 64 characters, e.g. \"radiology\".",
    ),
    (
        {"database": {"backupRetentionDays": 90}},
        "dicomstore:database.backupRetentionDays = 90: is more than 35. Fix: use 35 or less.",
    ),
    (
        {"orthanc": {"allowedModalities": [{"host": "10.0.4.10"}]}},
        "dicomstore:orthanc.allowedModalities[0].aet = (not set): is missing from the entry "
        "dicomstore:orthanc.allowedModalities[0]. Fix: add it there: Application entity title of the modality "
        "(upper case, at most 16 characters).",
    ),
    (
        {"orthanc": {"users": ["admin", "radiologist", "admin"],
                     "userRoles": {"admin": "administrator", "radiologist": "reader"}}},
        "dicomstore:orthanc.users[2] = 'admin': repeats dicomstore:orthanc.users[0]. "
        "Fix: list each item once: remove this one.",
    ),
    (
        {"orthanc": {"passwordRollover": ["radiologist"]}},
        "dicomstore:orthanc.passwordRollover = 'radiologist': names a user that orthanc.users does not list. "
        "Fix: roll over only users of orthanc.users, or remove 'radiologist' from orthanc.passwordRollover.",
    ),
    (
        {"network": {"onPremCidrs": ["10.0.0.0/14", "10.0.0.0/14"]}},
        "dicomstore:network.onPremCidrs[1] = '10.0.0.0/14': repeats dicomstore:network.onPremCidrs[0]. "
        "Fix: list each item once: remove this one.",
    ),
    (
        {"orthanc": {"allowedModalities": [{"aet": "CT", "host": "10.0.4.10"}, {"aet": "CT", "host": "10.0.4.10"}]},
         "network": {"onPremCidrs": ["10.0.0.0/14"]}},
        "dicomstore:orthanc.allowedModalities[1] = {'aet': 'CT', 'host': '10.0.4.10'}: repeats "
        "dicomstore:orthanc.allowedModalities[0]. Fix: list each item once: remove this one.",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "line"), BAD_CONFIGS, ids=[line.split(" = ")[0] for _, line in BAD_CONFIGS])
def test_each_bad_config_gives_one_specific_line(overrides: dict[str, Any], line: str) -> None:
    assert problems_of(config_values(**overrides)) == [line]


def test_missing_top_level_key_names_its_section_without_echoing_the_others() -> None:
    values = config_values()
    del values["tenancyOcid"]
    assert problems_of(values) == [
        "dicomstore:tenancyOcid = (not set): is missing from the config: section of Pulumi.<stack>.yaml. "
        "Fix: add it there: Tenancy OCID (Cloud Guard and tenancy-wide IAM live here)."
    ]


def test_cross_field_rules_still_run_beside_a_bad_value() -> None:
    """A bad replicas value does not hide the replication and memory rules of the valid keys."""
    problems = problems_of(
        config_values(
            orthanc={"replicas": "two", "memoryGb": 999},
            storage={"replicationRegion": "eu-frankfurt-1"},
        )
    )
    assert [problem.split(":")[1].split(" = ")[0] for problem in problems] == [
        "orthanc.replicas", "storage.replicationRegion", "orthanc.memoryGb",
    ]  # fmt: skip


def test_a_cross_field_problem_that_read_a_dropped_value_is_not_reported() -> None:
    """With the bad VCN CIDR dropped, the default VCN stands in; the subnets' "outside the VCN" problems would
    be about that default, not what the user wrote, so only the CIDR itself is reported."""
    problems = problems_of(config_values(network={"vcnCidrs": ["10.30.0.0/33"],
                                                  "subnets": {"app": "10.30.1.0/24"}}))  # fmt: skip
    assert [problem.split(" = ")[0] for problem in problems] == ["dicomstore:network.vcnCidrs[0]"]


def test_no_message_falls_back_to_pydantic_wording_or_a_regex() -> None:
    lines = [line for overrides, _ in BAD_CONFIGS for line in problems_of(config_values(**overrides))]
    for fallback in ("satisfies this", "Input should", "String should", "pattern", "^", "{0,"):
        assert not [line for line in lines if fallback in line], fallback


@pytest.mark.parametrize(
    ("kind", "context", "problem", "fix"),
    [
        ("less_than_equal", {"le": 35}, "is more than 35", "use 35 or less"),
        ("greater_than_equal", {"ge": 1}, "is less than 1", "use 1 or more"),
        ("less_than", {"lt": 100}, "is not less than 100", "use less than 100"),
        ("greater_than", {"gt": 0.5}, "is not more than 0.5", "use more than 0.5"),
    ],
)
def test_a_range_error_names_the_bound_in_problem_and_fix(
    kind: str, context: dict[str, float], problem: str, fix: str
) -> None:
    from components.config.config_messages import VALUE_MESSAGES

    assert VALUE_MESSAGES[kind](999, context, ", e.g. 7") == (problem, fix)


def test_every_string_pattern_of_the_models_is_described_in_words() -> None:
    """A new key with a pattern needs its words in PATTERN_WORDS, or users would see the fallback."""
    from components.config.config_messages import PATTERN_WORDS
    from components.config.schema import StackConfig

    patterns: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            patterns.update([node["pattern"]] if isinstance(node.get("pattern"), str) else [])
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    collect(StackConfig.model_json_schema())
    assert patterns and patterns <= set(PATTERN_WORDS), patterns - set(PATTERN_WORDS)


# --- the stack file itself (read by the offline engine as the Pulumi CLI would) ---------------------------------


@pytest.mark.parametrize(
    ("stack_file", "line"),
    [
        ("", "Pulumi.bad.yaml is empty. Fix: add a `config:` section with oci:region"),
        ("encryptionsalt: abc\n", "Pulumi.bad.yaml has no `config:` section \\(a mapping of keys\\). Fix: put the"),
        ("config:\n  a: 1\n   b: 2\n", "Pulumi.bad.yaml line 3, column 5: mapping values are not allowed here. "
                                       "Fix: put one `key: value` per line"),
        ("config:\n\tx: 1\n", "Pulumi.bad.yaml line 2, column 1: .*'\\\\t'.*Fix: indent with spaces, not tabs"),
        ('config:\n  a: "open\n', "Pulumi.bad.yaml line 3, column 1: .*quoted scalar.*Fix: close the quote opened on "
                                  "line 2"),
        ("config:\n  a: [1, 2\n", "Pulumi.bad.yaml line 3, column 1: .*flow sequence.*Fix: close the bracket opened "
                                  "on line 2"),
    ],
)  # fmt: skip
def test_a_broken_stack_file_is_one_line_with_file_line_column_and_fix(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], stack_file: str, line: str
) -> None:
    import re

    from offline.cli import EXIT_BAD_CONFIG, main

    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.bad.yaml").write_text(stack_file)
    assert main(["plan", "--stack", "bad", "--project-dir", str(tmp_path)]) == EXIT_BAD_CONFIG
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and "Traceback" not in error
    assert re.search(line, error), error


def test_an_unknown_stack_names_the_stacks_there(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from offline.cli import EXIT_BAD_CONFIG, main

    (tmp_path / "Pulumi.yaml").write_text("name: dicomstore\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    assert main(["plan", "--stack", "staging", "--project-dir", str(tmp_path)]) == EXIT_BAD_CONFIG
    assert capsys.readouterr().err == (
        f"error: Pulumi.staging.yaml does not exist in {tmp_path}. Fix: pass --stack with one of dev, or copy "
        "Pulumi.dev.yaml to Pulumi.staging.yaml\n"
    )
