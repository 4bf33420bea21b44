"""Vault and master key: OCI rotates in a virtual private vault, a scheduled key version rotates in a default one."""

from __future__ import annotations

import datetime
import itertools

import pulumi
import pytest

from components.security.kms import SCHEDULE_SLACK_DAYS, RotationPeriod, VaultType, hsm_master_key, rotation_period
from tests.support import Recorded, record

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaatestdata000000000000000000000000000000000000000000"
KEY_VERSION = "oci:Kms/keyVersion:KeyVersion"


def record_key(vault_type: VaultType, today: datetime.date) -> Recorded:
    def program() -> None:
        hsm_master_key(
            "k", compartment_id=COMPARTMENT, display_name="test", rotation_days=90, vault_type=vault_type,
            opts=pulumi.ResourceOptions(), today=today,
        )  # fmt: skip

    return record(program)


def test_private_vault_key_rotates_automatically_and_has_no_scheduled_version() -> None:
    recorded = record_key("VIRTUAL_PRIVATE", datetime.date(2026, 11, 26))
    key = recorded.named("k-key")
    assert recorded.named("k-vault").inputs["vaultType"] == "VIRTUAL_PRIVATE"
    assert key.inputs["isAutoRotationEnabled"] is True
    assert key.inputs["autoKeyRotationDetails"] == {"rotationIntervalInDays": 90}
    assert recorded.of_type(KEY_VERSION) == []


def test_default_vault_key_is_hsm_and_rotated_by_the_current_periods_key_version() -> None:
    recorded = record_key("DEFAULT", datetime.date(2026, 11, 26))
    vault, key = recorded.named("k-vault"), recorded.named("k-key")
    assert vault.inputs["vaultType"] == "DEFAULT"
    assert key.inputs["protectionMode"] == "HSM"
    # OCI refuses automatic rotation outside virtual private vaults.
    assert key.inputs["isAutoRotationEnabled"] is False
    assert "autoKeyRotationDetails" not in key.inputs
    (version,) = recorded.of_type(KEY_VERSION)
    # 83-day periods counted from 2024-01-01: the 12th starts on 2026-09-23 and holds 2026-11-26.
    assert version.name == "k-key-rotation-every-83d-from-2026-09-23"
    assert version.parent == key.urn and key.urn in version.dependencies
    assert version.inputs["managementEndpoint"] == key.inputs["managementEndpoint"]
    # Retained (old versions still decrypt old data) but not protected (it must be able to leave the program).
    assert (version.protect, version.retain_on_delete) == (False, True)
    assert (key.protect, key.retain_on_delete, vault.protect, vault.retain_on_delete) == (True, True, True, True)


def test_the_next_period_declares_a_new_version() -> None:
    names = [record_key("DEFAULT", day).of_type(KEY_VERSION)[0].name
             for day in (datetime.date(2026, 12, 14), datetime.date(2026, 12, 15))]  # fmt: skip
    assert names == ["k-key-rotation-every-83d-from-2026-09-23", "k-key-rotation-every-83d-from-2026-12-15"]


@pytest.mark.parametrize("rotation_days", [60, 90, 365])
def test_versions_follow_each_other_within_the_rotation_interval_despite_a_week_of_failed_runs(
    rotation_days: int,
) -> None:
    start = datetime.date(2026, 1, 1)
    periods = {rotation_period(start + datetime.timedelta(days=offset), rotation_days) for offset in range(800)}
    starts = sorted(period.start for period in periods)
    gaps = {(later - earlier).days for earlier, later in itertools.pairwise(starts)}
    assert gaps == {rotation_days - SCHEDULE_SLACK_DAYS}
    # A version created a week late is still younger than the interval when the next one is due.
    assert max(gaps) + SCHEDULE_SLACK_DAYS <= rotation_days


def test_period_suffix_is_what_the_policy_reads() -> None:
    period = RotationPeriod(datetime.date(2026, 9, 23), 83)
    assert period.version_suffix == "rotation-every-83d-from-2026-09-23"
