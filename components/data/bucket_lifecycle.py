"""Object lifecycle rules of the DICOM bucket, derived from the `storage` config section.

Rules (OCI Object Lifecycle Management, evaluated daily):
* latest object versions move to Infrequent Access after `infrequentAccessAfterDays` — only when auto-tiering
  is off: OCI refuses an INFREQUENT_ACCESS rule on an auto-tiering bucket, where the service itself moves
  objects not read for 31 days (and back to Standard when a prior study is read again);
* latest object versions are never archived: Orthanc's S3 plugin reads with a plain GET, and OCI serves an
  archived object only after a restore ("Restoring Objects": an archived object cannot be downloaded until it is
  fully restored), so an archive rule would silently break every study older than its age;
* previous (overwritten or deleted) versions are deleted only after a safe period: `noncurrentVersionRetentionDays`,
  or `retentionRuleDays` when that is longer (see storage.py for why a retention period is enforced here and
  not as a bucket retention rule);
* incomplete multipart uploads (large instances sent by Orthanc's S3 plugin) are aborted after a week.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config.schema import StorageConfig

INCOMPLETE_UPLOAD_DAYS = 7
"""An upload still incomplete after a week has failed; its parts cost storage until aborted."""


@dataclass(frozen=True)
class LifecycleRule:
    """One object lifecycle rule (the fields of oci.objectstorage.ObjectLifecyclePolicyRuleArgs)."""

    name: str
    action: str
    target: str
    days: int


def lifecycle_rules(config: StorageConfig) -> list[LifecycleRule]:
    """The bucket's lifecycle rules, in the order OCI shows them."""
    rules: list[LifecycleRule] = []
    if not config.auto_tiering:
        rules.append(
            LifecycleRule(
                "move-to-infrequent-access", "INFREQUENT_ACCESS", "objects", config.infrequent_access_after_days
            )
        )
    rules.append(
        LifecycleRule("delete-previous-versions", "DELETE", "previous-object-versions", previous_version_days(config))
    )
    rules.append(LifecycleRule("abort-incomplete-uploads", "ABORT", "multipart-uploads", INCOMPLETE_UPLOAD_DAYS))
    return rules


def previous_version_days(config: StorageConfig) -> int:
    """How long an overwritten or deleted image stays recoverable before lifecycle deletes it."""
    return max(config.noncurrent_version_retention_days, config.retention_rule_days or 0)
