"""越级访 told apart from 重复访 (portal.cases.visits): the rule over generated pairs of cases, and the case page's flag
naming both cases as far as the viewer may see them."""

from __future__ import annotations

import random
from datetime import date, timedelta

from bs4 import BeautifulSoup
from daily import build_daily_world, register, who
from factories import sign_in
from sqlmodel import Session

from portal.cases import parties, visits
from portal.cases.models import CaseState
from portal.orgs.models import OrgKind, Tier

VALID_ID = "11010519491231002X"
# paths of a small tree: county 1 → township 2 (+ a petition bureau 9 beside the county) → village 3 → grid 4
PLACES = {
    "grid": (Tier.GROUP, "/1/2/3/4/", OrgKind.GRID),
    "village": (Tier.VILLAGE, "/1/2/3/", OrgKind.COMMITTEE),
    "township": (Tier.TOWNSHIP, "/1/2/", OrgKind.COMMITTEE),
    "county": (Tier.COUNTY, "/1/", OrgKind.CENTRE),
    "bureau": (Tier.COUNTY, "/1/9/", OrgKind.PETITION),
    "other township": (Tier.TOWNSHIP, "/1/5/", OrgKind.COMMITTEE),
}


def visit(place: str, received: date, state: CaseState, closed: date | None = None) -> visits.Visit:
    tier, path, kind = PLACES[place]
    return visits.Visit(tier, received, state, closed, path, kind)


def test_the_rule_is_symmetric_and_same_tier_or_unrelated_bodies_are_repeat_visits() -> None:
    rng, start = random.Random(17), date(2026, 1, 1)
    states = list(CaseState)
    for _ in range(2000):
        a, b = (
            visit(
                rng.choice(list(PLACES)),
                start + timedelta(days=rng.randint(0, 60)),
                rng.choice(states),
                start + timedelta(days=rng.randint(0, 90)) if rng.random() < 0.5 else None,
            )
            for _ in range(2)
        )
        assert visits.kind_of(a, b) == visits.kind_of(b, a)
        if a.tier == b.tier or not (a.org_path.startswith(b.area) or b.org_path.startswith(a.area)):
            assert visits.kind_of(a, b) == visits.REPEAT


def test_going_up_while_the_tier_below_still_has_it_or_past_a_tier_is_a_skip_level_visit() -> None:
    day = date(2026, 3, 1)
    open_village = visit("village", day, CaseState.MEDIATING)
    assert visits.kind_of(open_village, visit("township", day + timedelta(days=3), CaseState.REGISTERED)) == visits.SKIP
    assert visits.kind_of(open_village, visit("county", day, CaseState.REGISTERED)) == visits.SKIP  # past the township
    assert visits.kind_of(open_village, visit("bureau", day, CaseState.REGISTERED)) == visits.SKIP  # the 信访局 too
    closed = visit("village", day, CaseState.CLOSED, closed=day + timedelta(days=10))
    assert visits.kind_of(closed, visit("township", day + timedelta(days=11), CaseState.REGISTERED)) == visits.REPEAT
    assert visits.kind_of(closed, visit("township", day + timedelta(days=5), CaseState.REGISTERED)) == visits.SKIP
    assert visits.kind_of(open_village, visit("other township", day, CaseState.REGISTERED)) == visits.REPEAT
    earlier = visit("township", day - timedelta(days=20), CaseState.CLOSED, closed=day - timedelta(days=5))
    assert visits.kind_of(open_village, earlier) == visits.REPEAT  # the township was first: not a skip


def test_the_case_page_flags_a_skip_level_visit_with_both_cases(client, engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        village = register(db, world, "a1a", "a1.mediator", id_number=VALID_ID)
        county = register(db, world, "a", "a.clerk", id_number=VALID_ID)
        flags = parties.repeat_flags(db, who(db, world, "a.clerk"), county)
        assert [(f.skipped, f.skips) for f in flags] == [(True, {village.id})]
        other_village = register(db, world, "a1a", "a1.mediator", id_number=VALID_ID)
        flags = parties.repeat_flags(db, who(db, world, "a1.mediator"), other_village)
        assert [c.id for c in flags[0].visible] == [village.id] and flags[0].skips == set()  # same village: repeat
        assert (flags[0].hidden, flags[0].hidden_skips) == (1, 1)  # the county's case: counted, not named
        ids, county_number = (village.id, county.id), county.number
        db.commit()
    sign_in(client, "a1a.director")  # the village: the county's case is counted as a skip, not named
    flag = BeautifulSoup(client.get(f"/cases/{ids[0]}").text, "html.parser").select_one("#repeat-flags")
    assert flag.select_one("h2").get_text() == "越级访提示" and county_number not in flag.get_text()
    assert "另有 1 件在您无权查看的机构（其中越级 1 件）" in flag.get_text()
    client.post("/logout", data={"_csrf_token": client.cookies.get("portal_csrf")})
    sign_in(client, "a.director")  # the county sees both cases, the village's marked 越级
    flag = BeautifulSoup(client.get(f"/cases/{ids[1]}").text, "html.parser").select_one("#repeat-flags")
    assert "（已登记，越级）" in flag.get_text() and "无权查看" not in flag.get_text()
