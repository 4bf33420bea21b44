"""Entry point of the `policies/` policy pack: serves the compliance pack to the Pulumi engine.

Run by the engine (`pulumi preview --policy-pack policies`); it blocks while the engine talks to it.
Everything it serves is defined in `policies.packs`, which the offline replay imports as well.
"""

import sys
from pathlib import Path

# The engine runs this file with policies/ as the working directory; the policy modules import each other
# as the `policies` package, so the repository root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.packs import COMPLIANCE_PACK

PolicyPack(
    name=COMPLIANCE_PACK.name,
    policies=list(COMPLIANCE_PACK.policies),
    # Every policy sets its own level; this default only applies to a policy that forgot to.
    enforcement_level=EnforcementLevel.ADVISORY,
    description=COMPLIANCE_PACK.description,
    provider="oci",
)
