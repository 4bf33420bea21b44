"""Every port the store's traffic uses, once: the flow table, the security lists and NSGs, the load balancer,
the Orthanc renderer and the Kubernetes manifests read them from here."""

from __future__ import annotations

HTTPS_PORT = 443  # DICOMweb and the Orthanc UI through the load balancer's TLS listener; OCI service APIs
DICOM_PORT = 4242  # Orthanc's default DIMSE port, also the load balancer's DICOM listener
ORTHANC_HTTP_PORT = 8042  # Orthanc's default REST/DICOMweb port behind the load balancer
POSTGRES_PORT = 5432  # OCI Database with PostgreSQL
KUBE_API_PORT = 6443  # OKE Kubernetes API endpoint
OKE_CONTROL_PLANE_PORT = 12250  # OKE worker/pod to control plane tunnel
KUBELET_PORT = 10250  # API endpoint to kubelet (logs, exec, metrics)
