"""The rendered viewer settings for orthancteam/orthanc: Orthanc Explorer 2, the Stone Web Viewer and OHIF.

What enables what comes from orthanc-builder docker/orthanc/plugins-def.json and configurator.py: OE2 is
`enabledByDefault`; StoneWebViewer is `enablingEnvVarIsRequired` (only STONE_WEB_VIEWER_PLUGIN_ENABLED loads it);
the OHIF plugin is defined as `Ohif` while its configuration section is `OHIF`, so only OHIF_PLUGIN_ENABLED loads
it. Checked once against that configurator (orthanc-builder 0a4394c, `OrthancConfigurator.getEnabledPlugins()` fed
the rendered file): without the two variables it enables DicomWeb, PostgreSQL, AwsS3Storage, Gdcm and
OrthancExplorer2 only; with them, StoneWebViewer and Ohif too. Debian's Orthanc has none of these plugins, so the
browser tests use its explorer and Web viewer instead.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from components.orthanc.orthanc_access import ROLE_RULES, Role
from components.orthanc.orthanc_config import (
    OE2_ROOT,
    OHIF_ROOT,
    ObjectStorageEndpoint,
    OrthancSettings,
    PostgresEndpoint,
    RenderedOrthancConfig,
    render_orthanc_config,
    to_json,
    with_local_storage,
)


def _rendered(secrets_directory: str = "/run/secrets") -> RenderedOrthancConfig:
    return render_orthanc_config(
        OrthancSettings(),
        PostgresEndpoint(host="db.example.internal"),
        ObjectStorageEndpoint(namespace="hospitalns", region="eu-frankfurt-1", bucket="dicom"),
        secrets_directory=secrets_directory,
    )


def test_orthanc_explorer_2_is_the_default_ui_at_ui_and_offers_stone_then_ohif() -> None:
    oe2 = _rendered().config["OrthancExplorer2"]
    assert isinstance(oe2, dict)
    assert (oe2["Enable"], oe2["IsDefaultOrthancUI"], oe2["Root"]) == (True, True, "/ui/")
    options = oe2["UiOptions"]
    assert isinstance(options, dict)
    assert options["ViewersOrdering"] == ["stone-webviewer", "ohif"]
    assert (options["EnableOpenInOhifViewer3"], options["OhifViewer3PublicRoot"]) == (True, OHIF_ROOT)
    assert options["EnableViewerQuickButton"] is True


@pytest.mark.parametrize(
    "option",
    [
        "EnableUpload",
        "EnableDeleteResources",
        "EnableModification",
        "EnableAnonymization",
        "EnableEditLabels",
        "EnableSendTo",
        "EnableDicomModalities",
        "EnableShares",
    ],
)
def test_oe2_hides_every_action_that_changes_or_shares_the_store(option: str) -> None:
    """OE2's defaults turn these on (Plugin/DefaultConfiguration.json); a reader could not use them anyway."""
    oe2 = _rendered().config["OrthancExplorer2"]
    assert isinstance(oe2, dict) and isinstance(oe2["UiOptions"], dict)
    assert oe2["UiOptions"][option] is False


def test_stone_accepts_no_postmessage_driver_and_ohif_reads_dicomweb_under_ohif() -> None:
    config = _rendered().config
    stone, ohif = config["StoneWebViewer"], config["OHIF"]
    assert isinstance(stone, dict) and isinstance(ohif, dict)
    # Unset ExpectedMessageOrigin: Stone rejects every window.postMessage() action (its configuration.json).
    assert "ExpectedMessageOrigin" not in stone
    assert ohif == {"DataSource": "dicom-web", "RouterBasename": "/ohif/"}
    dicomweb = config["DicomWeb"]
    assert isinstance(dicomweb, dict) and dicomweb["Enable"] is True


def test_viewers_stay_behind_authentication_and_the_role_filter() -> None:
    config = _rendered().config
    assert config["AuthenticationEnabled"] is True
    assert config["RegisteredUsers"] and config["LuaScripts"]
    # Nothing in the viewer sections turns authentication off for a path (no anonymous token, no public share).
    assert "Authorization" not in config and "Tokens" not in to_json(config)


@pytest.mark.parametrize(
    "path", [OE2_ROOT + "app/index.html", "/stone-webviewer/index.html", OHIF_ROOT + "viewer", "/dicom-web/studies"]
)
def test_a_reader_may_open_each_rendered_viewer_root(path: str) -> None:
    """The roots the renderer sets are the ones the role filter admits for readers (GET)."""
    routes = ROLE_RULES[Role.READER]
    assert any("GET" in r.methods and re.match(r.pattern.replace("%-", "-"), path) for r in routes), path


def _environment_after_entrypoint(rendered: RenderedOrthancConfig) -> dict[str, str]:
    """The environment the image's own entrypoint would start with (secret files filled with dummies)."""
    for secret in rendered.secret_files:
        Path(secret.path).parent.mkdir(parents=True, exist_ok=True)
        Path(secret.path).write_text("not-a-real-secret\n")
    done = subprocess.run(rendered.command("env"), capture_output=True, text=True, check=True, env={})
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


@pytest.mark.parametrize("local", [False, True])
def test_the_entrypoint_switches_stone_and_ohif_on_before_the_image_configurator_runs(
    tmp_path: Path, local: bool
) -> None:
    rendered = _rendered(str(tmp_path / "secrets"))
    if local:
        rendered = with_local_storage(rendered, str(tmp_path / "storage"))
    environment = _environment_after_entrypoint(rendered)
    assert environment["STONE_WEB_VIEWER_PLUGIN_ENABLED"] == "true"
    assert environment["OHIF_PLUGIN_ENABLED"] == "true"
