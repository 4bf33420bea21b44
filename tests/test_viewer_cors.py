"""CORS for another web app: the config key, the pure rule-set items and the RuleSet on the HTTPS listener.

OCI's limits are cited in components/orthanc/cors_rules.py (header rules take no condition; one access-method rule per
listener; at most 20 rules per rule set).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.config.schema import ConfigError, load_stack_config
from components.orthanc.cors_rules import ORTHANC_METHODS, RuleItem, cors_rule_items, origin_problem
from components.orthanc.load_balancer import Backend, OrthancLoadBalancer, OrthancLoadBalancerArgs
from tests.support import SCOPE, Recorded, config_values, record
from tests.test_load_balancer import CERTIFICATE, COMPARTMENT, LB_TIER, LISTENER, LOG_GROUP

PORTAL = "https://portal.hospital.example"
RULE_SET = "oci:LoadBalancer/ruleSet:RuleSet"
MAX_RULES_PER_RULE_SET = 20  # "Rule Set Management": up to 20 rules in a rule set


def test_no_origin_no_rules() -> None:
    assert cors_rule_items(()) == ()


def test_one_origin_gets_credentialed_cors_headers_and_a_preflight_answer() -> None:
    items = cors_rule_items((PORTAL,))
    headers = {item.header: item.value for item in items if item.action == "ADD_HTTP_RESPONSE_HEADER"}
    assert headers == {
        "Access-Control-Allow-Origin": PORTAL,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
        "Access-Control-Allow-Headers": "Authorization, Accept, Content-Type",
        "Access-Control-Max-Age": "600",
    }
    (methods,) = [item for item in items if item.action == "CONTROL_ACCESS_USING_HTTP_METHODS"]
    # OPTIONS is not forwarded (Orthanc would answer the credential-less preflight 401): the listener answers 204.
    assert methods == RuleItem("CONTROL_ACCESS_USING_HTTP_METHODS", allowed_methods=ORTHANC_METHODS, status_code=204)
    assert "OPTIONS" not in methods.allowed_methods
    assert len(items) <= MAX_RULES_PER_RULE_SET


@pytest.mark.parametrize(
    ("origin", "problem"),
    [
        ("*", "allows every web page"),
        ("http://portal.hospital.example", "is not an https origin"),
        ("portal.hospital.example", "is not an https origin"),
        ("https://portal.hospital.example/app", "is not an origin"),
        ("https://user@portal.hospital.example", "is not an origin"),
        ("https://", "is not an origin"),
    ],
)
def test_bad_origins_are_named(origin: str, problem: str) -> None:
    found = origin_problem(origin)
    assert found is not None and found[0].startswith(problem)
    with pytest.raises(ValueError, match=problem):
        cors_rule_items((origin,))


@pytest.mark.parametrize("origin", [PORTAL, "https://portal.hospital.example:8443", "https://10.0.4.20"])
def test_https_origins_are_accepted(origin: str) -> None:
    assert origin_problem(origin) is None


def _problems(origins: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(config_values(orthanc={"corsAllowedOrigins": origins}))
    return [str(problem) for problem in caught.value.problems]


def test_config_refuses_the_wildcard_with_a_one_line_fix() -> None:
    assert _problems(["*"]) == [
        "dicomstore:orthanc.corsAllowedOrigins[0] = '*': allows every web page to read patient data with the "
        "user's credentials. Fix: list the https origin of the one web app that needs the API, e.g. "
        "https://portal.hospital.example."
    ]


def test_config_refuses_a_plain_http_origin_and_says_which_https_origin_to_write() -> None:
    (problem,) = _problems(["http://portal.hospital.example"])
    assert problem.startswith("dicomstore:orthanc.corsAllowedOrigins[0] = 'http://portal.hospital.example': ")
    assert problem.endswith("Fix: serve that web app over TLS and write https://portal.hospital.example.")


def test_config_refuses_two_origins_because_a_listener_cannot_echo_one() -> None:
    (problem,) = _problems([PORTAL, "https://research.hospital.example"])
    assert problem.startswith("dicomstore:orthanc.corsAllowedOrigins = [")
    assert "cannot echo the request's Origin" in problem and "Fix: keep only the origin" in problem


def test_config_defaults_to_no_cors() -> None:
    assert load_stack_config(config_values()).orthanc.cors_allowed_origins == []


def _planned(origins: tuple[str, ...], dicom_tls: bool = True) -> Recorded:
    def program() -> None:
        OrthancLoadBalancer(
            "edge",
            OrthancLoadBalancerArgs(
                scope=SCOPE,
                compartment_id=COMPARTMENT,
                subnet=LB_TIER,
                backends=[Backend(ip_address="10.20.1.10", http_port=8042, dicom_port=4242)],
                tls_min_version="TLSv1.2",
                dicom_tls=dicom_tls,
                log_group_id=LOG_GROUP,
                certificate_id=CERTIFICATE,
                cors_allowed_origins=origins,
                modality_ca_bundle_id="ocid1.cabundle.oc1.eu-frankfurt-1.aaaaaaaamodalitycabundle0000000000000000000",
            ),
        )
        pulumi.export("done", True)

    return record(program)


def test_the_https_listener_applies_the_cors_rule_set_built_from_the_same_items() -> None:
    plan = _planned((PORTAL,))
    (rule_set,) = plan.of_type(RULE_SET)
    assert rule_set.inputs["name"] == "cors_headers"
    assert rule_set.inputs["items"] == [
        *(
            {"action": "ADD_HTTP_RESPONSE_HEADER", "header": item.header, "value": item.value}
            for item in cors_rule_items((PORTAL,))
            if item.action == "ADD_HTTP_RESPONSE_HEADER"
        ),
        {"action": "CONTROL_ACCESS_USING_HTTP_METHODS", "allowedMethods": list(ORTHANC_METHODS), "statusCode": 204},
    ]
    listeners = {listener.inputs["name"]: listener for listener in plan.of_type(LISTENER)}
    assert listeners["https"].inputs["ruleSetNames"] == ["cors_headers"]
    assert rule_set.urn in listeners["https"].dependencies
    # Rule sets apply to HTTP listeners only: the DICOM TLS (TCP) listener gets none.
    assert "ruleSetNames" not in listeners["dicom-tls"].inputs


def test_without_origins_there_is_no_rule_set() -> None:
    plan = _planned(())
    assert plan.of_type(RULE_SET) == []
    assert all("ruleSetNames" not in listener.inputs for listener in plan.of_type(LISTENER))
