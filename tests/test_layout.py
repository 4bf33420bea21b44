"""The README's Layout section draws the components tree as it is: every block package and every module in it."""

from __future__ import annotations

from tests.support import PROJECT_DIR


def _layout_section() -> str:
    readme = (PROJECT_DIR / "README.md").read_text()
    start = readme.index("\n## Layout\n")
    return readme[start : readme.index("\n## ", start + 1)]


def test_every_component_package_and_module_is_in_the_readme_layout() -> None:
    layout = _layout_section()
    components = PROJECT_DIR / "components"
    packages = sorted(path for path in components.iterdir() if (path / "__init__.py").is_file())
    missing = [f"components/{package.name}/" for package in packages if f"components/{package.name}/" not in layout]
    missing += [
        f"components/{package.name}/{module.name}"
        for package in packages
        for module in sorted(package.glob("*.py"))
        if module.name != "__init__.py" and f"`{module.name}`" not in layout and f"`{module.stem}`" not in layout
    ]
    assert packages and missing == []


ONE_DEFINITION = {
    "oci.identity.Policy(": "components/identity/identity.py",  # iam_policy: the over-broad-grant guard
    "oci.vault.Secret(": "components/security/vault_secrets.py",  # HSM key, protected, retained
    "oci.logging.Log(": "components/logs.py",
    "oci.objectstorage.Bucket(": "components/data/buckets.py",
}


def test_recurring_resources_are_declared_in_their_one_definition_only() -> None:
    """The README's contributor conventions: a new policy, secret, log or bucket goes through its one helper."""
    components = PROJECT_DIR / "components"
    strays = [
        f"{path.relative_to(PROJECT_DIR)}: {constructor}"
        for path in sorted(components.rglob("*.py"))
        for constructor, home in ONE_DEFINITION.items()
        if constructor in path.read_text() and path != PROJECT_DIR / home
    ]
    homes = [home for constructor, home in ONE_DEFINITION.items() if constructor in (PROJECT_DIR / home).read_text()]
    assert strays == [] and len(homes) == len(ONE_DEFINITION)
