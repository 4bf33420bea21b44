"""The OrthancService over the runtime interface: any runtime that places Orthanc and returns backends gets the
secrets, the grant and the load balancer; the service owns them, the runtime only what it places."""

from __future__ import annotations

import pulumi

from components.network.ports import DICOM_PORT, ORTHANC_HTTP_PORT
from components.orthanc.load_balancer import Backend
from components.orthanc.orthanc_runtime import OrthancDataTier, OrthancRuntime
from components.orthanc.service import OrthancService
from tests.orthanc_inputs import ocid, orthanc_service_args
from tests.support import Recorded, record, stack_config

BACKEND_IPS = ("10.20.1.10", "10.20.1.11")


class FixedRuntime(OrthancRuntime):
    """A runtime that places nothing: two fixed backends, and the data tier it was handed."""

    def __init__(self, name: str, data: OrthancDataTier, opts: pulumi.ResourceOptions) -> None:
        super().__init__("test:runtime:FixedRuntime", name, None, opts)
        self.data = data
        self.backends = [Backend(ip, ORTHANC_HTTP_PORT, DICOM_PORT) for ip in BACKEND_IPS]
        self.register_outputs({})


def planned() -> tuple[Recorded, list[FixedRuntime]]:
    placed: list[FixedRuntime] = []
    config = stack_config(orthanc={"certificateOcid": ocid("certificate", "hospital")}).orthanc

    def place(name: str, data: OrthancDataTier, opts: pulumi.ResourceOptions) -> FixedRuntime:
        placed.append(FixedRuntime(name, data, opts))
        return placed[-1]

    def program() -> None:
        service = OrthancService("orthanc", orthanc_service_args(config, place))
        pulumi.export("dicom_aet", service.dicom_aet)

    return record(program), placed


def test_the_load_balancer_serves_exactly_the_backends_the_runtime_returns() -> None:
    plan, _ = planned()
    http = {(b.inputs["ipAddress"], b.inputs["port"]) for b in plan.of_type("oci:LoadBalancer/backend:Backend")}
    assert http == {(ip, ORTHANC_HTTP_PORT) for ip in BACKEND_IPS}
    dicom = {(b.inputs["ipAddress"], b.inputs["port"]) for b in plan.of_type("oci:NetworkLoadBalancer/backend:Backend")}
    assert dicom == {(ip, DICOM_PORT) for ip in BACKEND_IPS}
    assert plan.outputs["dicom_aet"] == "DICOMSTORE"


def test_the_service_owns_secrets_grant_runtime_and_load_balancer() -> None:
    plan, placed = planned()
    (service,) = plan.of_type("dicomstore:orthanc:OrthancService")
    children = {(record.type, record.name) for record in plan.records if record.parent == service.urn}
    assert children == {
        ("dicomstore:orthanc_secrets:OrthancSecrets", "orthanc-secrets"),
        ("oci:Identity/policy:Policy", "orthanc-runtime-policy"),
        ("test:runtime:FixedRuntime", "orthanc"),
        ("dicomstore:load_balancer:OrthancLoadBalancer", "orthanc-lb"),
    }
    (runtime,) = placed
    # The runtime is handed the service's secrets and starts only after the grant that lets it read them.
    assert set(runtime.data.user_password_secret_ids) == {"admin"}
    assert runtime.data.secret_grant_id is not None
