"""A person's place in a workshop (invited, accepted, waitlisted, declined, attended) has one writer:
planner.workshops.services. Invitations, registrations and the check-in list go through it, so the capacity rule
and the waitlist cannot be bypassed by a package that sets the status itself."""

import ast
from pathlib import Path

import planner

PLACE_ATTRIBUTES = {"invitation_status", "attended"}
OWNER = Path(planner.__file__).parent / "workshops" / "services.py"


def _writes(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in PLACE_ATTRIBUTES:
                found.append(f"{path.name} ({path.parent.name}):{node.lineno} sets .{target.attr}")
    return found


def test_only_the_workshops_service_writes_a_place():
    root = Path(planner.__file__).parent
    skipped = {"demo", "migrations"}  # the demo seeds its own history; migrations copy rows
    writes = [w for path in sorted(root.rglob("*.py"))
              if path != OWNER and path.stem != "demo" and not skipped & set(path.parts) for w in _writes(path)]
    assert not writes, "a place is written outside planner/workshops/services.py:\n" + "\n".join(writes)
    assert _writes(OWNER), "the owner itself writes the places"
