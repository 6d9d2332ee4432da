"""The portal's calendar: deadlines and "today" are dates in the portal's time zone, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_zone = ZoneInfo("Asia/Shanghai")


def set_timezone(name: str) -> None:
    """Called once by the app factory and the command line, from Settings.timezone."""
    global _zone
    _zone = ZoneInfo(name)


def today() -> date:
    return datetime.now(_zone).date()


def local_date(moment: datetime) -> date:
    """The portal-zone calendar day of a moment (e.g. when a dossier was filed); a naive one is UTC, as stored."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone).date()


def zone_name() -> str:
    """The portal's zone, e.g. for SQL that works out a moment's local day (portal.stats.span)."""
    return _zone.key
