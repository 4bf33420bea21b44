"""Entry point of the `policies/` policy pack: serves the compliance pack to the Pulumi engine.

Run by the engine (`pulumi preview --policy-pack policies`); it blocks while the engine talks to it.
Everything it serves is defined in `policies.packs`, which the offline replay imports as well; the stack's
`dicomstore:policies` settings (enforcement levels, per-resource waivers) are applied by
`policies.governance.govern`, the function the offline replay calls too. The engine hands the pack the
stack config in PULUMI_CONFIG (pulumi/pulumi#3612), which `load_policies_config` reads.
"""

import sys
from datetime import date
from pathlib import Path

# The engine runs this file with policies/ as the working directory; the policy modules import each other
# as the `policies` package, so the repository root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from components.config.schema import load_policies_config
from policies.governance import govern
from policies.packs import COMPLIANCE_PACK

governed = govern(COMPLIANCE_PACK, load_policies_config(), date.today())
PolicyPack(
    name=governed.pack.name,
    policies=list(governed.pack.policies),
    # Every policy sets its own level; this default only applies to a policy that forgot to.
    enforcement_level=EnforcementLevel.ADVISORY,
    # The stack's dicomstore:policies.enforcementLevels; --policy-pack-config still overrides them.
    initial_config=governed.initial_config or None,
    description=governed.pack.description,
    provider="oci",
)
