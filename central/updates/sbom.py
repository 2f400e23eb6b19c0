"""The software bill of materials of a release bundle: CycloneDX 1.5, JSON.

Written from the wheels the bundle really carries (not from the build machine's
environment): each is a component with its name, version, package URL
(`pkg:pypi/…`), SHA-256 and the licence its own metadata declares. The bundle
carries it as `sbom.cdx.json` (listed, like every file, in the manifest with its
hash), and `central release add` publishes it beside the bundle as
`<bundle>.cdx.json`, a TUF target of its own.
"""

from __future__ import annotations

import email.parser
import json
import re
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contract.release import file_sha256

NAME = "sbom.cdx.json"
SPEC = "1.5"
# {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427)
WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _metadata(wheel: Path) -> dict[str, Any]:
    """The wheel's own METADATA headers (licence, summary)."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        if not names:
            return {}
        text = archive.read(names[0]).decode("utf-8", "replace")
    headers = email.parser.Parser().parsestr(text, headersonly=True)
    return {
        "license_expression": headers.get("License-Expression"),
        "license": headers.get("License"),
        "classifiers": headers.get_all("Classifier") or [],
        "summary": headers.get("Summary"),
    }


def _licences(meta: dict[str, Any]) -> list[dict[str, Any]]:
    if meta.get("license_expression"):
        return [{"expression": meta["license_expression"]}]
    named = [c.split("::")[-1].strip() for c in meta["classifiers"] if c.startswith("License ::")]
    if named:
        return [{"license": {"name": name}} for name in named]
    text = (meta.get("license") or "").strip()
    if text and len(text) < 100 and "\n" not in text:
        return [{"license": {"name": text}}]
    return []


def component(wheel: Path) -> dict[str, Any]:
    found = WHEEL.match(wheel.name)
    if found is None:
        raise ValueError(f"{wheel.name} is not a wheel's file name")
    name, version = _canonical(found["name"]), found["version"]
    meta = _metadata(wheel)
    entry: dict[str, Any] = {
        "type": "library",
        "bom-ref": f"pkg:pypi/{name}@{version}",
        "name": name,
        "version": version,
        "purl": f"pkg:pypi/{name}@{version}",
        "hashes": [{"alg": "SHA-256", "content": file_sha256(wheel)}],
        "properties": [{"name": "palvelupiste:file", "value": f"wheels/{wheel.name}"}],
    }
    if meta.get("summary"):
        entry["description"] = meta["summary"]
    licences = _licences(meta) if meta else []
    if licences:
        entry["licenses"] = licences
    return entry


def document(wheels: list[Path], version: str, machine: str, python: str) -> dict[str, Any]:
    """The SBOM of release `version`: the project itself as the subject, its wheels (the
    application's own among them) as components."""
    components = [component(w) for w in sorted(wheels)]
    own = [c for c in components if c["name"] == "palvelupiste"]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "tools": {"components": [{"type": "application", "name": "palvelupiste-bundle"}]},
            "component": {
                "type": "application",
                "bom-ref": "palvelupiste-release",
                "name": "palvelupiste kiosk release",
                "version": version,
                "licenses": [{"expression": "EUPL-1.2"}],
                "properties": [
                    {"name": "palvelupiste:python", "value": python},
                    {"name": "palvelupiste:machine", "value": machine},
                ],
            },
        },
        "components": components,
        "dependencies": [
            {
                "ref": "palvelupiste-release",
                "dependsOn": [c["bom-ref"] for c in components],
            },
            *({"ref": c["bom-ref"], "dependsOn": []} for c in own),
        ],
    }


def write(path: Path, sbom: dict[str, Any]) -> None:
    path.write_text(json.dumps(sbom, indent=1, sort_keys=True) + "\n")
