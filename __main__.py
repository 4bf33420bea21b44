"""Pulumi program: load the stack config, tag every resource, build the DICOM store, export its endpoints.

The same file runs under `pulumi preview/up` and under the offline plan (`python -m offline plan`).
"""

import pulumi

from components.config.schema import load_stack_config
from components.dicom_store import DicomStore, DicomStoreArgs
from components.identity.identity import stack_name_prefix
from components.tagging import register_freeform_tags, stack_tags

config = load_stack_config()
project, stack = pulumi.get_project(), pulumi.get_stack()
register_freeform_tags(stack_tags(config, project, stack))
store = DicomStore("dicomstore", DicomStoreArgs(config=config, name_prefix=stack_name_prefix()))

pulumi.export("vcn_id", store.network.vcn_id)
pulumi.export("data_compartment_id", store.identity.data_compartment_id)
pulumi.export("s3_endpoint", store.storage.s3_endpoint)
pulumi.export("dicom_bucket", store.storage.bucket_name)
pulumi.export("database_host", store.database.host)
pulumi.export("database_port", store.database.port)
# Cloud Guard targets the stack cannot give its recipes (security zone target, adopted root target): README.
pulumi.export("cloud_guard_recipe_attachments", store.security.recipe_attachments)
orthanc = store.orthanc
pulumi.export("dicomweb_url", orthanc.dicomweb_url)
pulumi.export("dicom_endpoint", {"host": orthanc.dicom_host, "port": orthanc.dicom_port, "aet": orthanc.dicom_aet})
if store.oke is not None:
    pulumi.export("oke_cluster_id", store.oke.cluster_id)
    pulumi.export("kubeconfig", store.oke.kubeconfig)  # a secret: `pulumi stack output kubeconfig --show-secrets`
if store.edge is not None:
    pulumi.export("edge_transfer_bucket", store.edge.transfer_bucket_name)
    pulumi.export("edge_inference_manifest", store.edge.inference_manifest)
