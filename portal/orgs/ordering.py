"""Organisation choices in the order people read the tree: each body followed by its own subtree (siblings by their
sort order), and — where a choice is made from one body — that body's own area first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from portal.orgs.models import Organisation

INDENT = "　"


def tree_order(orgs: Iterable[Organisation]) -> list[Organisation]:
    """Depth first, siblings by (sort order, id); an organisation whose parent is not among them starts a tree."""
    orgs = list(orgs)
    ids = {o.id for o in orgs}
    children: dict[int | None, list[Organisation]] = {}
    for org in orgs:
        children.setdefault(org.parent_id if org.parent_id in ids else None, []).append(org)
    for kids in children.values():
        kids.sort(key=lambda o: (o.depth, o.sort_order, o.id))
    out: list[Organisation] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        org = stack.pop()
        out.append(org)
        stack.extend(reversed(children.get(org.id, [])))
    return out


def indented(orgs: Sequence[Organisation], *, base: int | None = None) -> list[tuple[str, str]]:
    """(id, name) pairs indented by depth below the shallowest (or `base`)."""
    top = min((o.depth for o in orgs), default=0) if base is None else base
    return [(str(o.id), INDENT * max(0, o.depth - top) + o.name) for o in orgs]


def near_first(orgs: Iterable[Organisation], home: Organisation) -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices made from `home` as <optgroup>s: its own subtree, the bodies above it (nearest first), then the rest
    of the tree in tree order."""
    ordered = tree_order(orgs)
    above = set(home.ancestor_ids)
    own = [o for o in ordered if o.path.startswith(home.path)]
    up = sorted((o for o in ordered if o.id in above), key=lambda o: -o.depth)
    rest = [o for o in ordered if o.id not in above and not o.path.startswith(home.path)]
    groups = [
        (f"{home.name}及下级", indented(own)),
        ("上级机构", [(str(o.id), o.name) for o in up]),
        ("其他机构", indented(rest)),
    ]
    return [(label, pairs) for label, pairs in groups if pairs]


def flat_values(groups: Iterable[tuple[str, object]]) -> set[str]:
    """Every value of a (possibly grouped) choice list."""
    values: set[str] = set()
    for value, label in groups:
        if isinstance(label, list):
            values |= flat_values(label)
        else:
            values.add(str(value))
    return values
