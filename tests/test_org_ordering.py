"""Organisation choices in tree order with the chooser's own area first (portal.orgs.ordering); <optgroup>s."""

from __future__ import annotations

import random

from portal.orgs import ordering
from portal.orgs.models import Organisation, OrgKind, Tier
from portal.web.filters import options


def tree() -> dict[str, Organisation]:
    """county 1 → townships 2 (sort 2), 5 (sort 1) → villages; ids deliberately out of sibling order."""
    spec = [("county", 1, None, 0), ("东镇", 2, 1, 2), ("西镇", 5, 1, 1), ("桃花村", 3, 2, 0), ("李村", 4, 5, 0)]
    orgs: dict[str, Organisation] = {}
    for name, oid, parent, sort in spec:
        up = next((o for o in orgs.values() if o.id == parent), None)
        orgs[name] = Organisation(
            id=oid,
            name=name,
            short_name=name,
            parent_id=parent,
            path=f"{up.path if up else '/'}{oid}/",
            depth=up.depth + 1 if up else 0,
            tier=Tier.COUNTY,
            kind=OrgKind.COMMITTEE,
            sort_order=sort,
        )
    return orgs


def test_tree_order_puts_each_body_before_its_subtree_and_siblings_by_sort_order_whatever_the_input_order() -> None:
    orgs = list(tree().values())
    for seed in range(20):
        random.Random(seed).shuffle(orgs)
        assert [o.name for o in ordering.tree_order(orgs)] == ["county", "西镇", "李村", "东镇", "桃花村"]


def test_choices_made_from_a_body_start_with_its_own_area_then_the_bodies_above() -> None:
    orgs = tree()
    groups = ordering.near_first([o for o in orgs.values() if o.name != "东镇"], orgs["东镇"])
    assert groups == [
        ("东镇及下级", [("3", "桃花村")]),
        ("上级机构", [("1", "county")]),
        ("其他机构", [("5", "西镇"), ("4", "　李村")]),
    ]
    assert ordering.flat_values(groups) == {"1", "3", "4", "5"}


def test_grouped_options_render_as_optgroups_and_keep_the_selection() -> None:
    html = str(options([("", "默认"), ("上级机构", [("1", "县<中心>")])], "1"))
    group = '<optgroup label="上级机构"><option value="1" selected>县&lt;中心&gt;</option></optgroup>'
    assert html == '<option value="">默认</option>' + group
