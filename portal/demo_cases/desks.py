"""Who works where in the demo county: the people who act for each organisation, and its place in the tiers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Desk:
    """The demo people who act for one organisation."""

    intake: str  # registers cases
    window: str  # accepts/refuses, assigns mediators, answers transfers (clerk or director)
    signer: str  # signs its letters off (its own 调委会主任 or 负责人, else the nearest above: cases.signing)
    mediators: tuple[str, ...]


DESKS: dict[str, Desk] = {
    "county": Desk("qx.clerk", "qx.clerk", "qx.director", ("qx.mediator1", "qx.mediator2", "qx.director")),
    "xf": Desk("xf.clerk", "xf.clerk", "xf.head", ("xf.mediator",)),
    "fy": Desk("fy.clerk", "fy.clerk", "fy.head", ("fy.mediator",)),
    "yt": Desk("yt.director", "yt.director", "yt.director", ("yt.mediator", "yt.director")),
    "jt": Desk("jt.mediator", "qx.clerk", "qx.director", ("jt.mediator",)),
    "ld": Desk("ld.mediator", "qx.clerk", "qx.director", ("ld.mediator",)),
    "studio": Desk("studio.zhou", "qx.clerk", "qx.director", ("studio.zhou",)),
    "cg": Desk("cg.clerk", "cg.clerk", "cg.director", ("cg.mediator", "cg.director")),
    "hk": Desk("hk.clerk", "hk.clerk", "hk.director", ("hk.mediator",)),
    "ty": Desk("ty.clerk", "ty.clerk", "ty.director", ("ty.mediator",)),
    "bs": Desk("bs.clerk", "bs.clerk", "bs.director", ("bs.mediator",)),
    "dm": Desk("dm.director", "dm.director", "dm.director", ("dm.director", "cg.supervisor")),
    "ng": Desk("ng.mediator", "cg.clerk", "cg.director", ("ng.mediator",)),
    "dk": Desk("dk.director", "dk.director", "dk.director", ("dk.director",)),
    "th": Desk("th.director", "th.director", "th.director", ("th.director",)),
    "sp": Desk("sp.director", "sp.director", "sp.director", ("sp.director",)),
    "wc": Desk("cg.clerk", "cg.clerk", "cg.director", ("cg.mediator",)),
    "ll": Desk("hk.clerk", "hk.clerk", "hk.director", ("hk.mediator",)),
    "xl": Desk("ty.clerk", "ty.clerk", "ty.director", ("ty.mediator",)),
    "lt": Desk("bs.clerk", "bs.clerk", "bs.director", ("bs.mediator",)),
    "dm.1": Desk("dm.grid1", "dm.director", "dm.director", ("dm.grid1",)),
    "wc.1": Desk("wc.grid1", "cg.clerk", "cg.director", ("wc.grid1",)),
    "dk.1": Desk("dk.grid1", "dk.director", "dk.director", ("dk.grid1",)),
    "xl.2": Desk("xl.grid2", "ty.clerk", "ty.director", ("xl.grid2",)),
}
TOWNSHIP_OF = {
    "dm": "cg",
    "ng": "cg",
    "wc": "cg",
    "dk": "hk",
    "ll": "hk",
    "th": "ty",
    "xl": "ty",
    "sp": "bs",
    "lt": "bs",
    "dm.1": "dm",
    "wc.1": "cg",
    "dk.1": "dk",
    "xl.2": "ty",
}
VILLAGE_OF_GRID = {"dm.1": "dm", "wc.1": "wc", "dk.1": "dk", "xl.2": "xl"}
PROFESSIONAL_FOR = {"13": "yt", "14": "jt", "1001": "ld", "1002": "ld"}
