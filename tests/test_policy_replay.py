"""The offline replay imitates the engine's policy glue: tested piece by piece, then against the real pack
served over gRPC by `policies/__main__.py` (the process `pulumi preview --policy-pack policies` starts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import grpc  # type: ignore[import-untyped]  # grpcio ships no type stubs
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from components.config.schema import PoliciesConfig
from offline.policy_replay import engine_props, has_mandatory_violation, policy_settings, replay, stack_resources
from offline.records import ResourceRecord
from policies._framework import RecordedResourceOptions
from policies.governance import govern
from policies.packs import COMPLIANCE_PACK, PACKS
from tests.policy_cases import TENANCY, record, run_policy
from tests.support import Recorded

SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cr3t"}
BUCKET = "oci:ObjectStorage/bucket:Bucket"
POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"


def test_engine_props_match_what_an_analyzer_receives() -> None:
    props = engine_props({"port": 22, "nested": {"list": [1, True, None]}, "password": SECRET})
    assert props["port"] == 22.0 and isinstance(props["port"], float)  # protobuf Struct numbers are doubles
    assert props["nested"]["list"][0] == 1.0 and props["nested"]["list"][1] is True
    assert props["password"] == "s3cr3t"  # secrets arrive unwrapped
    assert not isinstance(props["nested"]["list"], list)  # a read-only sequence proxy, as in the engine


def test_unknown_values_raise_like_in_the_engine() -> None:
    props = engine_props({"kmsKeyId": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError) as raised:
        _ = props["kmsKeyId"]
    assert raised.value.message == "string value at .kmsKeyId can't be known during preview"


def test_a_policy_touching_an_unknown_reports_an_advisory_cannot_run() -> None:
    from policies.cis_oci import cis_5_1_2_bucket_cmk

    results = run_policy(cis_5_1_2_bucket_cmk, [record(BUCKET, "b", {"kmsKeyId": UNKNOWN_STRING_VALUE})])
    assert [(r.enforcement, r.message) for r in results] == [
        ("advisory", "can't run policy during preview: string value at .kmsKeyId can't be known during preview")
    ]


def test_stack_resources_link_parents_and_dependencies() -> None:
    vcn = record("oci:Core/vcn:Vcn", "vcn")
    subnet = record("oci:Core/subnet:Subnet", "subnet", parent=vcn.urn, dependencies=[vcn.urn, "urn:missing"])
    by_name = {resource.name: resource for resource in stack_resources([vcn, subnet])}
    assert by_name["subnet"].parent is by_name["vcn"]
    assert by_name["subnet"].dependencies == [by_name["vcn"]]
    assert by_name["vcn"].parent is None


def _check_threshold(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_violation(f"limit={args.get_config()['limit']} retain={getattr(args.opts, 'retain_on_delete', None)}", None)


THRESHOLD_POLICY = ResourceValidationPolicy(
    name="test-threshold",
    description="reports its configured limit",
    validate=_check_threshold,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    config_schema=PolicyConfigSchema({"limit": {"type": "integer", "default": 365}}),
)


def test_policy_settings_take_schema_defaults_then_config() -> None:
    assert policy_settings(THRESHOLD_POLICY, None) == (EnforcementLevel.ADVISORY, {"limit": 365})
    assert policy_settings(THRESHOLD_POLICY, {"test-threshold": {"enforcementLevel": "mandatory", "limit": 7}}) == (
        EnforcementLevel.MANDATORY,
        {"limit": 7},
    )
    assert policy_settings(THRESHOLD_POLICY, {"all": "disabled"})[0] is EnforcementLevel.DISABLED
    # A policy's own entry wins over "all", as in a policy-pack config file.
    assert policy_settings(THRESHOLD_POLICY, {"all": "disabled", "test-threshold": "remediate"})[0] is (
        EnforcementLevel.REMEDIATE
    )


def test_replay_applies_config_levels_and_passes_retain_on_delete() -> None:
    kept = record(BUCKET, "kept", retain_on_delete=True)
    assert [r.message for r in run_policy(THRESHOLD_POLICY, [kept])] == ["limit=365 retain=True"]
    assert run_policy(THRESHOLD_POLICY, [kept], {"test-threshold": "disabled"}) == []
    remediated = run_policy(THRESHOLD_POLICY, [kept], {"test-threshold": {"enforcementLevel": "remediate"}})
    assert [r.enforcement for r in remediated] == ["mandatory"]  # a violation left after remediation blocks
    assert has_mandatory_violation(remediated) and not has_mandatory_violation(run_policy(THRESHOLD_POLICY, [kept]))


def test_recorded_options_carry_protect_parent_and_retain() -> None:
    options = RecordedResourceOptions(protect=True, retain_on_delete=False, parent="urn:p")
    assert (options.protect, options.retain_on_delete, options.parent, options.aliases) == (True, False, "urn:p", [])


def test_every_policy_of_the_pack_is_replayed_once() -> None:
    bad_bucket = record(BUCKET, "open", {"accessType": "ObjectRead", "compartmentId": TENANCY})
    results = replay([bad_bucket], PACKS)
    policies = {r.policy for r in results if r.urn == bad_bucket.urn}
    assert {
        "cis-5-1-1-bucket-not-public",
        "ckv-oci-10-bucket-not-public",
        "cis-6-2-no-resources-in-root-compartment",
    } <= policies
    assert {r.pack for r in results} == {COMPLIANCE_PACK.name}
    assert all(
        set(r.to_json()) == {"pack", "policy", "framework", "severity", "enforcement", "urn", "message"}
        for r in results
    )


# --- parity with the pack served by policies/__main__.py -------------------------------------------------


def _serve(env: dict[str, str] | None = None) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The policy pack process, as the engine starts it; it prints its port and serves until stopped."""
    process = subprocess.Popen(
        [sys.executable, "__main__.py"], cwd=POLICIES_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    yield from _serve()


# The stack's dicomstore:policies section as the engine hands it to the pack process (PULUMI_CONFIG: a JSON
# object of fully qualified keys to JSON-encoded values). Waiver 0 holds, waiver 1 has expired.
ENGINE_POLICIES = {
    "enforcementLevels": {"cis-4-17-bucket-write-logs": "mandatory"},
    "waivers": [
        {"policy": "cis-5-1-1-bucket-not-public", "resource": "public", "reason": "public test fixture bucket",
         "expires": "2999-12-31"},
        {"policy": "ckv-oci-22-nsg-no-ssh-from-anywhere", "resource": "ssh", "reason": "temporary SSH for a demo",
         "expires": "2000-01-01"},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def governed_analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    for stub in _serve({"PULUMI_CONFIG": json.dumps({"dicomstore:policies": json.dumps(ENGINE_POLICIES)})}):
        # What the engine does with the pack's initial config (pulumi/pulumi#4233): reconcile it with the
        # policy defaults and --policy-pack-config (none here), then send it back in Configure.
        initial = stub.GetAnalyzerInfo(empty_pb2.Empty()).initialConfig
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=dict(initial)))
        yield stub


def _struct(inputs: dict[str, object]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return struct


def _options(resource: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent)


LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}

# fmt: off
SCENARIO = [
    record(BUCKET, "public", {"accessType": "ObjectRead", "compartmentId": TENANCY, "versioning": "Enabled"},
           protect=True, retain_on_delete=True),
    record(
        "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule",
        "ssh",
        {"direction": "INGRESS", "protocol": "6", "source": "::/0", "sourceType": "CIDR_BLOCK",
         "tcpOptions": {"destinationPortRange": {"min": 22, "max": 22}}},
    ),
    record("oci:Core/vcn:Vcn", "vcn", {"cidrBlocks": ["10.0.0.0/16"]}),
    record("oci:Core/subnet:Subnet", "subnet", {"availabilityDomain": "AD-1"}, dependencies=["urn:vcn"]),
    record("oci:Kms/key:Key", "key", {"isAutoRotationEnabled": True, "autoKeyRotationDetails": {"rotationIntervalInDays": 400}},
           protect=True, retain_on_delete=True),
]
# fmt: on


def test_pack_metadata_served_to_the_engine(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == COMPLIANCE_PACK.name
    served = {p.name: (p.enforcementLevel, p.framework.name, p.framework.reference) for p in info.policies}
    expected = {
        p.name: (
            analyzer_pb2.MANDATORY if p.enforcement_level is EnforcementLevel.MANDATORY else analyzer_pb2.ADVISORY,
            p.framework.name if p.framework else "",
            p.framework.reference if p.framework else "",
        )
        # The served pack is the governed one: the stack's waivers end with the waiver-match check.
        for p in govern(COMPLIANCE_PACK, PoliciesConfig(), date.today()).pack.policies
    }
    assert served == expected


Finding = tuple[str, str, str, str]


def _engine_findings(analyzer: analyzer_pb2_grpc.AnalyzerStub, records: Sequence[ResourceRecord]) -> set[Finding]:
    """(policy, urn, level, message) of every diagnostic the served pack returns, as the engine asks for them:
    one Analyze per resource, one AnalyzeStack for all."""
    found: set[Finding] = set()
    for resource in records:
        response = analyzer.Analyze(
            analyzer_pb2.AnalyzeRequest(
                type=resource.type, properties=_struct(resource.inputs), urn=resource.urn, name=resource.name,
                options=_options(resource),
            )
        )  # fmt: skip
        found |= {(d.policyName, resource.urn, LEVELS[d.enforcementLevel], d.message) for d in response.diagnostics}
    stack = analyzer.AnalyzeStack(
        analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name, options=_options(r),
                    parent=r.parent, dependencies=list(r.dependencies),
                )
                for r in records
            ]
        )
    )  # fmt: skip
    return found | {(d.policyName, d.urn, LEVELS[d.enforcementLevel], d.message) for d in stack.diagnostics}


def _offline_findings(records: Sequence[ResourceRecord]) -> set[Finding]:
    descriptions = {p.name: p.description for p in COMPLIANCE_PACK.policies}
    # The engine prefixes each message with the policy's description.
    return {(r.policy, r.urn, r.enforcement, f"{descriptions[r.policy]}\n{r.message}") for r in replay(records, PACKS)}


def test_replay_finds_what_the_engine_finds(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    engine = _engine_findings(analyzer, SCENARIO)
    assert _offline_findings(SCENARIO) == engine
    assert len(engine) > 10


def test_replay_matches_the_engine_on_the_shipped_prod_stack(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, prod_plan: Recorded
) -> None:
    # Real records (nested inputs, numbers, secrets, dependencies), plus a resource that violates.
    records = [*prod_plan.records, SCENARIO[1]]
    engine = _engine_findings(analyzer, records)
    assert _offline_findings(records) == engine
    assert {finding[1] for finding in engine} >= {SCENARIO[1].urn}


def test_retain_on_delete_is_checked_offline_only(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    # The analyzer protocol carries no retain-on-delete: only the replay can see it is missing.
    protected = record(BUCKET, "protected", protect=True, retain_on_delete=False)
    request = analyzer_pb2.AnalyzeRequest(
        type=protected.type, properties=_struct({}), urn=protected.urn, name=protected.name, options=_options(protected)
    )
    engine = {d.policyName for d in analyzer.Analyze(request).diagnostics}
    offline = {r.policy for r in replay([protected], PACKS) if r.urn == protected.urn}
    assert "refarch-stateful-protected-retained" in offline
    assert "refarch-stateful-protected-retained" not in engine
    assert {"cis-5-1-2-bucket-encrypted-with-cmk", "ckv-oci-9-bucket-encrypted-with-cmk"} <= engine & offline


def test_the_served_pack_applies_the_stack_waivers_and_levels_like_the_replay(
    governed_analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """`pulumi preview --policy-pack policies` path: the pack reads dicomstore:policies from PULUMI_CONFIG and
    the engine's diagnostics equal the offline replay of the same governed pack."""
    governed = govern(COMPLIANCE_PACK, PoliciesConfig.model_validate(ENGINE_POLICIES), date.today())
    descriptions = {p.name: p.description for p in governed.pack.policies}
    offline = {
        (r.policy, r.urn, r.enforcement, f"{descriptions[r.policy]}\n{r.message}")
        for r in replay(SCENARIO, [governed.pack], governed.initial_config)
    }
    engine = _engine_findings(governed_analyzer, SCENARIO)
    assert engine == offline
    public, ssh = SCENARIO[0].urn, SCENARIO[1].urn
    assert not any(policy == "cis-5-1-1-bucket-not-public" and urn == public for policy, urn, *_ in engine)
    assert next(f for f in engine if f[0] == "ckv-oci-22-nsg-no-ssh-from-anywhere" and f[1] == ssh)[3].endswith(
        "expired on 2000-01-01: fix the resource or renew the waiver with a new reason and expiry]"
    )
    # The stack's level is the pack's initial config: the advisory Level 2 control now blocks.
    assert ("cis-4-17-bucket-write-logs", public, "mandatory") in {f[:3] for f in engine}
