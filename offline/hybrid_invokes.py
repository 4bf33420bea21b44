"""Offline answers for the invokes of the connectivity block: IPSec tunnels and Vault secret bundles.

Shaped like OCI's responses (fields and enums: terraform-provider-oci website/docs/d/
core_ipsec_connection_tunnels.html.markdown, status UP|DOWN, state AVAILABLE, routing BGP|STATIC|POLICY,
ike_version V1|V2; website/docs/d/secrets_secretbundle.html.markdown, content type BASE64, stages CURRENT|LATEST).
The tunnels' shared secrets are left out on purpose: the program never reads them,
and an offline answer has no business inventing credentials. A secret bundle's content is a deterministic
stand-in derived from the secret's OCID (base64, as OCI returns it), so a plan that reads one shows the value
flowing as a Pulumi secret without any real key existing anywhere.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from offline.ocids import fake_ocid

TUNNELS_PER_CONNECTION = 2  # OCI creates two tunnels, on separate headends, per IPSec connection


def ipsec_connection_tunnels(args: Mapping[str, Any], region: str) -> dict[str, Any]:
    ipsec_id = str(args.get("ipsecId", ""))
    tunnels = [
        {
            "id": fake_ocid("ipsectunnel", f"{ipsec_id}/{n}", region),
            "tunnelId": fake_ocid("ipsectunnel", f"{ipsec_id}/{n}", region),
            "ipsecId": ipsec_id,
            "displayName": f"tunnel-{n}",
            "vpnIp": f"192.0.2.{10 + n}",  # documentation range: Oracle's headend addresses differ per region
            "status": "DOWN",
            "state": "AVAILABLE",
            "routing": "BGP",
            "ikeVersion": "V2",
        }
        for n in range(1, TUNNELS_PER_CONNECTION + 1)
    ]
    return {"id": f"tunnels-{ipsec_id}", "ipsecId": ipsec_id, "ipSecConnectionTunnels": tunnels}


def secret_bundle(args: Mapping[str, Any], _region: str) -> dict[str, Any]:
    secret_id = str(args.get("secretId", ""))
    stand_in = hashlib.sha256(f"offline-stand-in/{secret_id}".encode()).hexdigest()[:24]
    return {
        "id": secret_id,
        "secretId": secret_id,
        "versionNumber": "1",
        "stages": ["CURRENT", "LATEST"],
        "secretBundleContents": [{"contentType": "BASE64", "content": base64.b64encode(stand_in.encode()).decode()}],
    }
