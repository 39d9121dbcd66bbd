"""The checkers a host site's front-end team runs over an embedded widget: axe-core in the page
(injected by Playwright) and html-validate over the served HTML. Both are npm packages the
tests alone use, installed by `make test-tools` into .tools/ (tests/browser/tools.txt)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.support import ROOT

TOOLS = ROOT / ".tools"
AXE_JS = TOOLS / "axe-core-4.14.1" / "node_modules" / "axe-core" / "axe.min.js"
HTML_VALIDATE = TOOLS / "html-validate-10.9.0" / "node_modules" / ".bin" / "html-validate"
HTML_VALIDATE_CONFIG = ROOT / ".htmlvalidate.json"
# WCAG 2.0, 2.1 and 2.2 at A and AA, and Deque's best practices: nothing switched off.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _require(path: Path) -> Path:
    if not path.exists():
        raise RuntimeError(
            f"{path} is missing: run `make test-tools` (scripts/install-web-tools.sh)"
        )
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now: rule id, impact and the offending nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(_require(AXE_JS)))
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("options => axe.run(document, options)", options)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                {"target": node["target"], "summary": node.get("failureSummary", "")}
                for node in violation["nodes"]
            ],
        }
        for violation in result["violations"]
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary'].splitlines()[-1:]}")
    return "\n".join(lines)


def html_validate(documents: dict[str, str], folder: Path) -> dict[str, list[dict[str, Any]]]:
    """html-validate's findings per document (name -> HTML), with the repository's
    .htmlvalidate.json; documents without findings are left out."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is missing: run `make test-tools`")
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for number, (name, html) in enumerate(documents.items()):
        path = folder / f"page{number}.html"
        path.write_text(html, encoding="utf-8")
        files[str(path)] = name
    run = subprocess.run(
        [
            str(_require(HTML_VALIDATE)),
            "--config",
            str(HTML_VALIDATE_CONFIG),
            "--formatter",
            "json",
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if run.returncode not in (0, 1) or not run.stdout.strip():
        raise RuntimeError(f"html-validate failed ({run.returncode}): {run.stderr}")
    findings: dict[str, list[dict[str, Any]]] = {}
    for result in json.loads(run.stdout):
        messages = [
            {"rule": m["ruleId"], "line": m["line"], "message": m["message"]}
            for m in result["messages"]
        ]
        if messages:
            findings[files[result["filePath"]]] = messages
    return findings
