"""`python -m offline preflight`: the plan's needs against a tenancy, with no network.

The fake clients stand in for the SDK's clients (same method names and arguments) and answer with
`oci.response.Response` objects holding the SDK's own response models (`ResourceAvailability`, `Configuration`,
`TargetSummary`, `RegionSubscription`, `Group`, ...), built the way the SDK deserialises them; errors are the
SDK's `ServiceError` with the status OCI returns (404 NotAuthorizedOrNotFound for an unknown limit name).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

import oci
import pytest
from oci.cloud_guard.models import Configuration, TargetSummary
from oci.identity.models import AvailabilityDomain, Group, RegionSubscription
from oci.limits.models import ResourceAvailability
from oci.response import Response

from offline.engine import read_stack_settings
from offline.plan_index import PlanIndex
from offline.preflight import (
    BLOCKING,
    CloudGuardNeeds,
    check_cloud_guard,
    cloud_guard_needs,
    limit_needs,
    regions_used,
    unique_names,
)
from offline.preflight_cli import EXIT_BAD_CONFIG, EXIT_BLOCKING, EXIT_OK, OciTenancy, all_pages, preflight_command
from tests.support import PROJECT_DIR, Recorded

TENANCY_AD_PREFIX = "kIdk"  # a real tenancy's AD names carry their own prefix, unlike the plan's "Uocm"
ROOT_TARGET = "ocid1.cloudguardtarget.oc1.eu-frankfurt-1.aaaaaaaaexistingroottarget"


def _index(plan: Recorded, stack: str) -> PlanIndex:
    return PlanIndex.build(read_stack_settings(PROJECT_DIR, stack), plan.records, plan.outputs)


@pytest.fixture(scope="module")
def prod(prod_plan: Recorded) -> PlanIndex:
    return _index(prod_plan, "prod")


@pytest.fixture(scope="module")
def dev(dev_plan: Recorded) -> PlanIndex:
    return _index(dev_plan, "dev")


def ok(data: Any, next_page: str | None = None) -> Response:
    return Response(200, {"opc-next-page": next_page} if next_page else {}, data, None)


def not_found(operation: str) -> oci.exceptions.ServiceError:
    return oci.exceptions.ServiceError(
        404, "NotAuthorizedOrNotFound", {}, "Authorization failed or requested resource not found.",
        operation_name=operation,
    )  # fmt: skip


@dataclass
class FakeTenancy:
    """The SDK clients' methods preflight calls, answering like a healthy paid tenancy unless told otherwise."""

    available: dict[tuple[str, str, str], int | None] = field(default_factory=dict)
    """(service, limit, AD suffix or "") -> available; None: OCI does not know that limit (404)."""
    cloud_guard: Configuration | None = field(
        default_factory=lambda: Configuration(status="ENABLED", reporting_region="eu-frankfurt-1")
    )
    targets: list[TargetSummary] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    regions: tuple[str, ...] = ("eu-frankfurt-1", "eu-amsterdam-1")
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    # LimitsClient
    def get_resource_availability(self, service: str, limit: str, compartment: str, **kwargs: Any) -> Response:
        ad = kwargs.get("availability_domain", "")
        self.calls.append(("get_resource_availability", (service, limit, compartment, ad)))
        available = self.available.get((service, limit, ad.rsplit(":", 1)[-1]), 1000)
        if available is None:
            raise not_found("get_resource_availability")
        return ok(ResourceAvailability(used=0, available=available))

    # CloudGuardClient
    def get_configuration(self, compartment_id: str) -> Response:
        if self.cloud_guard is None:
            raise not_found("get_configuration")
        return ok(self.cloud_guard)

    def list_targets(self, compartment_id: str, **kwargs: Any) -> Response:
        return ok(oci.cloud_guard.models.TargetCollection(items=self.targets))

    # IdentityClient
    def list_availability_domains(self, compartment_id: str) -> Response:
        names = [f"{TENANCY_AD_PREFIX}:EU-FRANKFURT-1-AD-{number}" for number in (1, 2, 3)]
        return ok([AvailabilityDomain(name=name, compartment_id=compartment_id) for name in names])

    def list_groups(self, compartment_id: str, name: str, **kwargs: Any) -> Response:
        return ok([group for group in self.groups if group.name == name])

    def _nothing(self, *args: Any, **kwargs: Any) -> Response:
        return ok([])

    list_dynamic_groups = list_users = list_policies = list_compartments = list_tag_namespaces = _nothing

    def list_region_subscriptions(self, tenancy_id: str) -> Response:
        return ok([RegionSubscription(region_name=region, status="READY") for region in self.regions])

    # CertificatesManagementClient
    def list_certificate_authorities(self, **kwargs: Any) -> Response:
        return ok(oci.certificates_management.models.CertificateAuthorityCollection(items=[]))


def run_preflight(
    index: PlanIndex, fake: FakeTenancy, capsys: pytest.CaptureFixture[str], tenancy: str | None = None
) -> tuple[int, list[str], str]:
    def connect(_config: str, _profile: str, region: str) -> tuple[OciTenancy, str]:
        assert region == index.region
        return OciTenancy(fake, fake, fake, fake), tenancy or index.tenancy_ocid

    args = argparse.Namespace(config_file="~/.oci/config", profile="DEFAULT")
    code = preflight_command(args, index, connect)
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_prod_needs_come_from_the_plan(prod: PlanIndex) -> None:
    needs, unknown = limit_needs(prod)
    by_key = {(need.service, need.limit, need.availability_domain.rsplit("-", 1)[-1]): need.amount for need in needs}
    assert unknown == []
    # The CPU pool: 3 nodes of 4 OCPUs / 64 GB spread over the 3 ADs; the GPU pool's single A10 node in the first.
    assert [by_key[("compute", "standard-e5-core-count", ad)] for ad in "123"] == [4, 4, 4]
    assert by_key[("compute", "standard-e5-memory-count", "1")] == 64
    assert by_key[("compute", "gpu-a10-count", "1")] == 1
    assert ("compute", "gpu-a10-count", "2") not in by_key
    assert by_key[("kms", "virtual-private-vault-count", "")] == 1
    assert by_key[("load-balancer", "lb-flexible-bandwidth-sum", "")] == 100
    assert by_key[("fast-connect", "virtual-circuit-count", "")] == 1
    assert by_key[("container-engine", "cluster-count", "")] == 1


def test_dev_container_instance_uses_the_shared_e4_compute_limits(dev: PlanIndex) -> None:
    needs, _ = limit_needs(dev)
    compute = {
        (need.limit, need.availability_domain.rsplit(":", 1)[-1]): need.amount
        for need in needs
        if need.service == "compute"
    }
    assert compute == {
        ("standard-e4-core-count", "EU-FRANKFURT-1-AD-1"): 1,
        ("standard-e4-memory-count", "EU-FRANKFURT-1-AD-1"): 8,
    }
    assert not any(need.limit == "virtual-private-vault-count" for need in needs)  # dev's vault is a DEFAULT one


def test_a_healthy_tenancy_passes_and_ads_are_matched_by_suffix(
    prod: PlanIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeTenancy()
    code, lines, _ = run_preflight(prod, fake, capsys)
    assert code == EXIT_OK, lines
    assert lines[-1] == "preflight: 0 blocking, 0 warning(s)"
    asked = {call[1] for call in fake.calls}
    assert ("compute", "gpu-a10-count", prod.parent_ocid, f"{TENANCY_AD_PREFIX}:EU-FRANKFURT-1-AD-1") in asked


def test_no_gpu_in_the_pools_first_ad_blocks(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeTenancy(available={("compute", "gpu-a10-count", "EU-FRANKFURT-1-AD-1"): 0})
    code, lines, _ = run_preflight(prod, fake, capsys)
    assert code == EXIT_BLOCKING
    assert lines[0] == (
        "blocking: limit compute/gpu-a10-count in EU-FRANKFURT-1-AD-1: node pool dicomstore-oke-gpu-pool need 1, "
        "0 available (0 used). Fix: request a service limit increase, or raise the compartment quota, for "
        "gpu-a10-count in EU-FRANKFURT-1-AD-1"
    )


def test_free_tier_vault_limits_block_the_private_vault(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeTenancy(available={("kms", "virtual-private-vault-count", ""): 0})
    code, lines, _ = run_preflight(prod, fake, capsys)
    assert code == EXIT_BLOCKING
    assert any(
        line.startswith("blocking: limit kms/virtual-private-vault-count: 1 VIRTUAL_PRIVATE vault(s) need 1")
        for line in lines
    )


def test_a_limit_oci_does_not_know_is_a_warning_never_a_pass(
    prod: PlanIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeTenancy(available={("postgresql", "dbsystem-count", ""): None})
    code, lines, _ = run_preflight(prod, fake, capsys)
    assert code == EXIT_OK
    assert lines[0].startswith("warning: limit postgresql/dbsystem-count: OCI returned no availability, not checked")


def test_no_cloud_guard_blocks_with_the_switch_off(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run_preflight(prod, FakeTenancy(cloud_guard=None), capsys)
    assert code == EXIT_BLOCKING
    assert "Cloud Guard is not available in this tenancy" in lines[0]
    assert lines[0].endswith("or set dicomstore:security.cloudGuardEnabled: false")


def test_an_existing_root_target_blocks_and_names_the_key_to_adopt_it(
    prod: PlanIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    root = TargetSummary(
        id=ROOT_TARGET, display_name="root", target_resource_id=prod.tenancy_ocid, lifecycle_state="ACTIVE"
    )
    elsewhere = TargetSummary(
        id="ocid1.cloudguardtarget.oc1..other", target_resource_id="ocid1.compartment.oc1..x", lifecycle_state="ACTIVE"
    )
    code, lines, _ = run_preflight(prod, FakeTenancy(targets=[elsewhere, root]), capsys)
    assert code == EXIT_BLOCKING
    assert lines[0].endswith(f"Fix: set dicomstore:security.cloudGuardTargetOcid: {ROOT_TARGET}")
    # Only the root compartment's target clashes.
    assert run_preflight(prod, FakeTenancy(targets=[elsewhere]), capsys)[0] == EXIT_OK


def test_reporting_region_cannot_change(prod: PlanIndex) -> None:
    findings = check_cloud_guard(
        cloud_guard_needs(prod),
        Configuration(status="ENABLED", reporting_region="eu-amsterdam-1"),
        [],
        prod.tenancy_ocid,
    )
    assert [finding.severity for finding in findings] == [BLOCKING]
    assert findings[0].message.endswith("Fix: set dicomstore:security.cloudGuardReportingRegion: eu-amsterdam-1")
    disabled = Configuration(status="DISABLED", reporting_region="eu-amsterdam-1")  # the stack enables it itself
    assert check_cloud_guard(cloud_guard_needs(prod), disabled, [], prod.tenancy_ocid) == []


def test_an_adopted_root_target_must_exist() -> None:
    needs = CloudGuardNeeds(used=True, reporting_region="", root_target_planned=False, adopted_target=ROOT_TARGET)
    enabled = Configuration(status="ENABLED", reporting_region="eu-frankfurt-1")
    root = TargetSummary(id=ROOT_TARGET, target_resource_id="ocid1.tenancy.oc1..t", lifecycle_state="ACTIVE")
    assert check_cloud_guard(needs, enabled, [root], "ocid1.tenancy.oc1..t") == []
    (missing,) = check_cloud_guard(needs, enabled, [], "ocid1.tenancy.oc1..t")
    assert missing.message.endswith("Fix: remove it to let the stack create the root target")


def test_an_existing_group_name_blocks(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    taken = Group(id="ocid1.group.oc1..taken", name="dicomstore-prod-orthanc-s3", lifecycle_state="ACTIVE")
    code, lines, _ = run_preflight(prod, FakeTenancy(groups=[taken]), capsys)
    assert code == EXIT_BLOCKING
    assert lines[0].startswith("blocking: group 'dicomstore-prod-orthanc-s3' exists already (ocid1.group.oc1..taken)")
    deleted = Group(id=taken.id, name=taken.name, lifecycle_state="DELETED")
    assert run_preflight(prod, FakeTenancy(groups=[deleted]), capsys)[0] == EXIT_OK


def test_unique_names_cover_every_tenancy_wide_kind(prod: PlanIndex) -> None:
    kinds = {name.kind for name in unique_names(prod)}
    assert kinds == {
        "group",
        "dynamic group",
        "user",
        "tag namespace",
        "policy",
        "compartment",
        "certificate authority",
    }
    # Policies inside the stack's own compartments cannot clash before the compartments exist.
    scopes = {name.scope for name in unique_names(prod) if name.kind == "policy"}
    assert scopes <= {prod.tenancy_ocid, prod.parent_ocid}


def test_dr_region_must_be_subscribed(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    assert regions_used(prod) == ["eu-amsterdam-1"]
    code, lines, _ = run_preflight(prod, FakeTenancy(regions=("eu-frankfurt-1",)), capsys)
    assert code == EXIT_BLOCKING
    assert lines[0].startswith("blocking: region eu-amsterdam-1: the tenancy is not subscribed to it")


def test_all_pages_follows_opc_next_page() -> None:
    pages = {None: ok([1, 2], next_page="p2"), "p2": ok([3])}
    calls: list[str | None] = []

    def list_call(compartment: str, page: str | None = None) -> Response:
        calls.append(page)
        return pages[page]

    assert all_pages(list_call, "ocid1.tenancy.oc1..t") == [1, 2, 3]
    assert calls == [None, "p2"]


def test_unusable_oci_config_is_one_line_exit_2(
    prod: PlanIndex, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(config_file=str(tmp_path / "missing"), profile="DEFAULT")
    assert preflight_command(args, prod) == EXIT_BAD_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: OCI config {tmp_path / 'missing'} [DEFAULT] is not usable")
    assert "Traceback" not in err


def test_another_tenancys_profile_is_exit_2(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_preflight(prod, FakeTenancy(), capsys, tenancy="ocid1.tenancy.oc1..someoneelse")
    assert code == EXIT_BAD_CONFIG
    assert "the OCI config's tenancy is ocid1.tenancy.oc1..someoneelse" in err


def test_a_rejected_key_is_exit_2_with_the_fix(prod: PlanIndex, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeTenancy()

    def unauthenticated(*_args: Any, **_kwargs: Any) -> Response:
        raise oci.exceptions.ServiceError(
            401,
            "NotAuthenticated",
            {},
            "The required information to complete authentication was not provided.",
            operation_name="list_availability_domains",
        )

    fake.list_availability_domains = unauthenticated  # type: ignore[method-assign]
    code, _, err = run_preflight(prod, fake, capsys)
    assert code == EXIT_BAD_CONFIG
    assert err.startswith("error: OCI answered 401 NotAuthenticated to list_availability_domains")
    assert "Fix: check the config's user, fingerprint and key_file" in err


def test_clients_are_built_for_the_stacks_region_from_an_api_key_config(tmp_path: Any) -> None:
    """The real SDK clients (no request is sent): the stack's region wins over the profile's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "key.pem").write_bytes(pem)
    (tmp_path / "config").write_text(
        "[DEPLOY]\nuser=ocid1.user.oc1..deployer\nfingerprint=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99\n"
        f"tenancy=ocid1.tenancy.oc1..example\nregion=us-ashburn-1\nkey_file={tmp_path / 'key.pem'}\n"
    )
    tenancy, tenancy_ocid = OciTenancy.from_config(str(tmp_path / "config"), "DEPLOY", "eu-frankfurt-1")
    assert tenancy_ocid == "ocid1.tenancy.oc1..example"
    assert tenancy.limits.base_client.endpoint == "https://limits.eu-frankfurt-1.oci.oraclecloud.com"
    assert "eu-frankfurt-1" in tenancy.cloud_guard.base_client.endpoint
    with pytest.raises(oci.exceptions.ClientError):  # what preflight_command turns into exit 2
        OciTenancy.from_config(str(tmp_path / "config"), "DEFAULT", "eu-frankfurt-1")
