"""`python -m offline preflight --stack prod [--config-file ~/.oci/config] [--profile DEFAULT]`: the thin layer
between OCI's Python SDK and the pure checks of offline/preflight.py.

`OciTenancy` wraps the SDK clients (`oci.limits.LimitsClient`, `oci.cloud_guard.CloudGuardClient`,
`oci.identity.IdentityClient`, `oci.certificates_management.CertificatesManagementClient`): it only calls them,
follows `opc-next-page` and hands the SDK's response models on. Tests give it fake clients that return
`oci.response.Response` objects holding the SDK's own models. Read-only calls; nothing is created.

Exit codes: 0 nothing blocks (warnings may be printed), 1 a blocking finding, 2 bad stack config or an unusable
OCI config (one line, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from offline.plan_index import PlanIndex
from offline.preflight import (
    BLOCKING,
    Finding,
    UniqueName,
    ad_suffix,
    check_cloud_guard,
    check_limits,
    check_names,
    check_regions,
    cloud_guard_needs,
    limit_needs,
    regions_used,
    unique_names,
)

EXIT_OK = 0
EXIT_BLOCKING = 1
EXIT_BAD_CONFIG = 2
NOT_FOUND = 404  # an unknown limit name, or Cloud Guard absent / not readable


def all_pages(call: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Any]:
    """Every item of a paginated list call (`data` a list, or a collection with `items`)."""
    items: list[Any] = []
    page: str | None = None
    while True:
        response = call(*args, **kwargs, **({"page": page} if page else {}))
        data = response.data
        items.extend(data.items if hasattr(data, "items") else data)
        if not response.has_next_page:
            return items
        page = response.next_page


def _sdk() -> Any:
    """OCI's Python SDK, imported on first use: it takes ~0.2 s, which only `preflight` should pay, not every plan."""
    import oci

    return oci


class OciTenancy:
    """Read-only answers of one tenancy, as the SDK's models."""

    def __init__(self, limits: Any, cloud_guard: Any, identity: Any, certificates: Any) -> None:
        self.limits = limits
        self.cloud_guard = cloud_guard
        self.identity = identity
        self.certificates = certificates

    @classmethod
    def from_config(cls, config_file: str, profile: str, region: str) -> tuple[OciTenancy, str]:
        """Clients for `region` signed with the config's API key; the config's tenancy OCID."""
        config = _sdk().config.from_file(file_location=config_file, profile_name=profile)
        _sdk().config.validate_config(config)
        config = {**config, "region": region}
        clients = (
            _sdk().limits.LimitsClient(config),
            _sdk().cloud_guard.CloudGuardClient(config),
            _sdk().identity.IdentityClient(config),
            _sdk().certificates_management.CertificatesManagementClient(config),
        )
        return cls(*clients), str(config["tenancy"])

    def availability_domains(self, tenancy: str) -> list[Any]:
        return list(self.identity.list_availability_domains(tenancy).data)

    def resource_availability(self, service: str, limit: str, compartment: str, ad: str) -> Any | None:
        kwargs = {"availability_domain": ad} if ad else {}
        try:
            return self.limits.get_resource_availability(service, limit, compartment, **kwargs).data
        except _sdk().exceptions.ServiceError as error:
            if error.status in {400, NOT_FOUND}:  # a limit name or scope this service does not have
                return None
            raise

    def cloud_guard_configuration(self, tenancy: str) -> Any | None:
        try:
            return self.cloud_guard.get_configuration(tenancy).data
        except _sdk().exceptions.ServiceError as error:
            if error.status == NOT_FOUND:
                return None
            raise

    def cloud_guard_targets(self, tenancy: str) -> list[Any]:
        return all_pages(self.cloud_guard.list_targets, tenancy, lifecycle_state="ACTIVE")

    def named(self, wanted: UniqueName) -> list[Any]:
        """The existing, not deleted, resources of that kind, name and scope."""
        identity = self.identity
        lists: dict[str, Callable[[], list[Any]]] = {
            "group": lambda: all_pages(identity.list_groups, wanted.scope, name=wanted.name),
            "dynamic group": lambda: all_pages(identity.list_dynamic_groups, wanted.scope, name=wanted.name),
            "user": lambda: all_pages(identity.list_users, wanted.scope, name=wanted.name),
            "policy": lambda: all_pages(identity.list_policies, wanted.scope, name=wanted.name),
            "compartment": lambda: all_pages(identity.list_compartments, wanted.scope, name=wanted.name),
            # Tag namespaces have no name filter; the tenancy's are few.
            "tag namespace": lambda: [
                namespace
                for namespace in all_pages(identity.list_tag_namespaces, wanted.scope, include_subcompartments=True)
                if namespace.name == wanted.name
            ],
            # Without a compartment the list covers the whole tenancy, where CA names are unique.
            "certificate authority": lambda: all_pages(
                self.certificates.list_certificate_authorities, name=wanted.name
            ),
        }
        return [item for item in lists[wanted.kind]() if getattr(item, "lifecycle_state", "ACTIVE") != "DELETED"]

    def region_subscriptions(self, tenancy: str) -> list[Any]:
        return list(self.identity.list_region_subscriptions(tenancy).data)


def preflight_findings(index: PlanIndex, tenancy: OciTenancy) -> list[Finding]:
    """Every finding for the planned stack in this tenancy: limits, Cloud Guard, names, regions."""
    tenancy_ocid = index.tenancy_ocid
    needs, findings = limit_needs(index)
    ads = {ad_suffix(ad.name): ad.name for ad in tenancy.availability_domains(tenancy_ocid)}
    availability: dict[tuple[str, str, str], Any] = {}
    for need in needs:
        suffix = ad_suffix(need.availability_domain) if need.availability_domain else ""
        if (need.service, need.limit, suffix) in availability:
            continue
        if suffix and suffix not in ads:
            availability[(need.service, need.limit, suffix)] = None  # reported as not checked
            continue
        # Availability in the parent compartment: the tenancy's limit less usage, capped by any quota on the
        # parent or its ancestors (the stack's compartments do not exist yet).
        availability[(need.service, need.limit, suffix)] = tenancy.resource_availability(
            need.service, need.limit, index.parent_ocid, ads.get(suffix, "")
        )
    findings += check_limits(needs, availability)
    configuration = tenancy.cloud_guard_configuration(tenancy_ocid)
    targets = tenancy.cloud_guard_targets(tenancy_ocid) if configuration is not None else []
    findings += check_cloud_guard(cloud_guard_needs(index), configuration, targets, tenancy_ocid)
    names = unique_names(index)
    findings += check_names(names, {wanted: tenancy.named(wanted) for wanted in names})
    findings += check_regions(regions_used(index), tenancy.region_subscriptions(tenancy_ocid))
    return findings


def add_preflight_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "preflight", help="ask OCI (read-only) what would make `pulumi up` of the stack fail in this tenancy"
    )
    parser.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    parser.add_argument("--config-file", default=str(Path("~/.oci/config").expanduser()), help="OCI config file")
    parser.add_argument("--profile", default="DEFAULT", help="profile of the OCI config file (default: DEFAULT)")


def report(findings: list[Finding]) -> int:
    for finding in findings:
        print(f"{finding.severity}: {finding.message}")
    blocking = sum(1 for finding in findings if finding.severity == BLOCKING)
    print(f"preflight: {blocking} blocking, {len(findings) - blocking} warning(s)")
    return EXIT_BLOCKING if blocking else EXIT_OK


def preflight_command(
    args: argparse.Namespace,
    index: PlanIndex,
    connect: Callable[[str, str, str], tuple[OciTenancy, str]] = OciTenancy.from_config,
) -> int:
    try:
        tenancy, config_tenancy = connect(args.config_file, args.profile, index.region)
    except (_sdk().exceptions.ClientError, ValueError) as error:
        print(f"error: OCI config {args.config_file} [{args.profile}] is not usable: {_one_line(error)}. Fix: "
              "create it with `oci setup config` or pass --config-file/--profile", file=sys.stderr)  # fmt: skip
        return EXIT_BAD_CONFIG
    if config_tenancy != index.tenancy_ocid:
        print(f"error: dicomstore:tenancyOcid = {index.tenancy_ocid}: the OCI config's tenancy is {config_tenancy}. "
              "Fix: use the profile of the stack's tenancy (--profile), or correct dicomstore:tenancyOcid",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_CONFIG
    try:
        return report(preflight_findings(index, tenancy))
    except _sdk().exceptions.ServiceError as error:
        print(f"error: OCI answered {error.status} {error.code} to {error.operation_name or 'a request'}: "
              f"{_one_line(error.message)}. Fix: {_service_error_fix(error.status)}", file=sys.stderr)  # fmt: skip
        return EXIT_BAD_CONFIG
    except _sdk().exceptions.RequestException as error:
        print(f"error: OCI could not be reached: {_one_line(error)}. Fix: check the network and the region "
              f"{index.region}", file=sys.stderr)  # fmt: skip
        return EXIT_BAD_CONFIG


SERVICE_ERROR_FIXES: Mapping[int, str] = {
    401: "check the config's user, fingerprint and key_file (the API key must be uploaded to that user)",
    404: "give the OCI user `inspect`/`read` on the tenancy (Cloud Guard, limits, identity), e.g. the "
    "deployer policy of `python -m offline deployer-policy`",
}


def _service_error_fix(status: int) -> str:
    return SERVICE_ERROR_FIXES.get(status, "retry; if it persists, check OCI's status page for the region")


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
