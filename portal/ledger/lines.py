"""Reading one ledger line into unsaved rows, checked with the case domain's own validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, select

from portal import inputs
from portal.cases import numbers
from portal.cases import parties as party_service
from portal.cases.loop import clean_fields
from portal.cases.models import (
    OUTCOMES,
    TRANSFER_KINDS,
    Case,
    CaseEvent,
    CaseRecord,
    CaseState,
    Party,
    Transfer,
    TransferState,
)
from portal.cases.numbers import CaseNumber
from portal.cases.record_kinds import RECORD_KINDS
from portal.cases.service import CaseForm, validate_case
from portal.orgs import moves
from portal.orgs.models import Organisation
from portal.people.models import Person

NO_ORG = "机构不存在或不在您的导入范围内。"
_PARTS = {"year": "年份", "prefix": "前缀", "word": "字号", "seq": "序号"}
NO_ROUTE = "移送记录的移送方和接收方都不在您的导入范围内：只能导入本机构（或下级机构）参与的移送。"


def no_person(username: Any) -> str:
    """One answer for a login name that does not exist and one outside the importer's scope: neither is told apart."""
    return f"没有登录名为“{_text(username)[:64]}”的人员，或该人员不在您的导入范围内。"


NUMBER_FORM = "（年份）前缀字号第序号号，如（2025）东人调字第003号、（2024）清医调字第012号"


@dataclass
class Draft:
    """One case read from a line: rows not yet added to the session."""

    line: int
    case: Case
    number: tuple[Organisation, CaseNumber, str] | None  # (numbering org, its parts, the text kept), or None: issue one
    parties: list[Party] = field(default_factory=list)
    mediators: list[tuple[int, bool]] = field(default_factory=list)
    records: list[CaseRecord] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)


class Lookup:
    """Organisations, people and dispute types by reference, cached for one file."""

    def __init__(self, db: Session, *, knows: Callable[[Session, Person], bool] | None = None) -> None:
        self.db = db
        self.knows = knows  # whether a person may be named by this file (None: anyone)
        self._orgs: dict[Any, Organisation | None] = {}
        self._people: dict[str, Person | None] = {}

    def org(self, ref: Any) -> Organisation | None:
        """By id (`5`, `"5"`, `{"id": 5}`), or by name (`{"name": …, "short_name": …}` or a full or short name)."""
        if isinstance(ref, bool) or ref in (None, "", {}):
            return None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isascii() and ref.strip().isdigit()):
            ref = {"id": ref}
        if isinstance(ref, str):
            text = ref.strip()
            return self._named(text, None) or self._named(None, text)
        if not isinstance(ref, dict):
            return None
        name, short = str(ref.get("name") or "").strip() or None, str(ref.get("short_name") or "").strip() or None
        wanted = ref.get("id")
        if name or short:
            org = self._named(name, short)
            if org is not None and wanted not in (None, "") and str(org.id) != str(wanted):
                return None  # an id that contradicts the name: refuse rather than guess
            return org
        if isinstance(wanted, int | str) and not isinstance(wanted, bool):
            org_id = inputs.id_or_none(wanted)
            if org_id is None:
                return None
            key = ("id", org_id)
            if key not in self._orgs:
                self._orgs[key] = self.db.get(Organisation, org_id)
            return self._orgs[key]
        return None

    def _named(self, name: str | None, short: str | None) -> Organisation | None:
        if any(n is not None and (len(n) > 100 or inputs.refusal(n, name=True)) for n in (name, short)):
            return None  # no organisation is called that: do not ask the database
        key = ("name", name, short)
        if key not in self._orgs:
            query = select(Organisation)
            if name:
                query = query.where(Organisation.name == name)
            if short:
                query = query.where(Organisation.short_name == short)
            found = self.db.exec(query.limit(2)).all()
            self._orgs[key] = found[0] if len(found) == 1 else None
        return self._orgs[key]

    def person(self, username: Any) -> Person | None:
        """The person with this login name, if the file may name them (see `knows`)."""
        key = str(username or "").strip() if isinstance(username, str | int) else ""
        if len(key) > 64 or inputs.refusal(key, name=True):
            return None
        if key not in self._people:
            found = self.db.exec(select(Person).where(Person.username == key)).first() if key else None
            self._people[key] = found if found is None or self.knows is None or self.knows(self.db, found) else None
        return self._people[key]


@dataclass
class Scope:
    """Where a file may put cases: `allows(org)` for the handling organisation, `related(case_org, org)` for the others;
    `sees(org)` is the importer's own scope: a number's organisation and one end of every transfer must lie in it;
    `knows(db, person)` says which people a file may name (mediators, authors): those the importer can see."""

    allows: Callable[[Organisation], bool]
    default_org: Organisation | None = None
    importer: Person | None = None
    sees: Callable[[Organisation], bool] | None = None
    knows: Callable[[Session, Person], bool] | None = None

    def inside(self, org: Organisation) -> bool:
        return self.sees(org) if self.sees is not None else self.allows(org)

    def related(self, case_org: Organisation, org: Organisation) -> bool:
        """Transfers, numbers and events may name bodies of the same tree (routing goes up, down and sideways)."""
        if self.importer is None:
            return True
        root = case_org.path.strip("/").split("/")[0]
        return org.path.startswith(f"/{root}/")


class LineReader:
    """Turns a parsed line (a dict) into a Draft, collecting `errors` as {field path: Chinese reason}."""

    def __init__(self, lookup: Lookup, scope: Scope) -> None:
        self.lookup = lookup
        self.scope = scope

    def read(self, line: int, data: dict[str, Any], errors: dict[str, str]) -> Draft | None:
        org = self._case_org(data, errors)
        values = self._case_fields(data, errors)
        number = self._number(data.get("number"), org, errors) if org else None
        parties = self._parties(data.get("parties"), errors)
        if errors or org is None:
            return None
        creator = self._person(data, "created_by", errors, "created_by", fallback=self.scope.importer)
        case = Case(
            **values,
            org_id=org.id,
            org_path=moves.stored_path(self.lookup.db, org),
            created_by=creator.id if creator else None,
        )
        for name in ("created_at", "updated_at"):
            if (moment := self._moment(data, name, errors, name)) is not None:
                setattr(case, name, moment)
        draft = Draft(line, case, number, parties=parties)
        draft.mediators = self._mediators(data.get("mediators"), errors)
        draft.records = self._records(data.get("records"), errors)
        draft.transfers = self._transfers(data.get("transfers"), org, errors)
        draft.events = self._events(data.get("events"), org, errors)
        return None if errors else draft

    # --- the case itself ----------------------------------------------------------------
    def _case_org(self, data: dict, errors: dict[str, str]) -> Organisation | None:
        ref = data.get("org")
        org = self.lookup.org(ref) if ref not in (None, "", {}) else self.scope.default_org
        if org is None and ref in (None, "", {}):
            errors["org"] = "请写明办理机构（或在导入时选择默认机构）。"
            return None
        if org is None or not self.scope.allows(org):
            errors["org"] = NO_ORG
            return None
        return org

    def _case_fields(self, data: dict, errors: dict[str, str]) -> dict[str, Any]:
        amount = data.get("amount")
        form = CaseForm(
            title=_text(data.get("title")),
            channel=_text(data.get("channel")),
            dispute_type=_text(data.get("dispute_type")),
            summary=_text(data.get("summary")),
            requests=_text(data.get("requests")),
            amount="" if amount is None else _text(amount),
            people_involved=_text(data.get("people_involved") or 1),
            group_dispute="1" if _flag(data.get("group_dispute")) else "",
            risk_flag="1" if _flag(data.get("risk_flag")) else "",
            received_on=_text(data.get("received_on")),
        )
        case_errors: dict[str, str] = {}
        values = validate_case(self.lookup.db, form, case_errors)
        errors.update(case_errors)
        state = _text(data.get("state") or CaseState.REGISTERED.value)
        if state not in CaseState._value2member_map_:
            errors["state"] = "案件状态无效，应为 " + "、".join(s.value for s in CaseState) + " 之一。"
        else:
            values["state"] = CaseState(state)
        outcome = _text(data.get("outcome"))
        if outcome and outcome not in OUTCOMES:
            errors["outcome"] = "调解结果应为 written、oral、failed 之一或留空。"
        values["outcome"] = outcome or None
        for name in ("accepted_on", "concluded_on", "closed_on", "mediation_due_on", "followup_due_on"):
            values[name] = self._day(data, name, errors, name)
        if values["outcome"] and values["concluded_on"] is None:  # older ledgers: the statistics date it by closure
            values["concluded_on"] = values["closed_on"]
        values["in_transfer"] = _flag(data.get("in_transfer"))
        return values

    def _number(
        self, raw: Any, org: Organisation, errors: dict[str, str]
    ) -> tuple[Organisation, CaseNumber, str] | None:
        """The case number as written (kept exactly when it is well formed, whatever its 字号), or its parts; None to
        number the case at import in the organisation's format."""
        if raw in (None, "", {}):
            return None
        if isinstance(raw, str):
            raw = {"text": raw}
        if not isinstance(raw, dict):
            errors["number"] = '案号应写成案号文字、{"year": 年份, "prefix": 前缀, "word": 字号, "seq": 序号} 或省略。'
            return None
        numbering = self.lookup.org(raw["org"]) if raw.get("org") else org
        # Only numbers of bodies inside the importer's scope: whether another body's number is taken is not theirs to
        # learn (a dry run would tell them).
        if numbering is None or not (numbering.id == org.id or self.scope.inside(numbering)):
            errors["number.org"] = NO_ORG
            return None
        text = _text(raw.get("text")).strip()
        year, seq, prefix, word = raw.get("year"), raw.get("seq"), raw.get("prefix"), _text(raw.get("word")).strip()
        if text:
            parsed = numbers.parse(text, words=(word, numbers.word_of(numbering)))
            if parsed is None or len(text) > 60:
                errors["number.text"] = f"案号“{text[:60]}”无法识别，应为{NUMBER_FORM}。"
                return None
            given = {"year": year, "prefix": prefix, "word": word or None, "seq": seq}
            found = {"year": parsed.year, "prefix": parsed.prefix, "word": parsed.word, "seq": parsed.seq}
            wrong = [k for k, v in given.items() if v not in (None, "") and v != found[k]]
            if wrong:
                errors["number.text"] = f"案号文字“{text}”与{'、'.join(_PARTS[k] for k in wrong)}不符。"
                return None
            return numbering, parsed, text
        if not isinstance(year, int) or not 1949 < year < 2200:
            errors["number.year"] = "案号年份应为四位整数。"
        if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= inputs.INT4_MAX:
            errors["number.seq"] = "案号序号应为正整数。"
        prefix = _text(prefix).strip()
        if not prefix or len(prefix) > 20:
            errors["number.prefix"] = "请填写案号前缀（机构简称，不超过 20 个字）。"
        word = word or numbers.word_of(numbering)
        if problem := numbers.word_problem(word):
            errors["number.word"] = problem
        if any(k.startswith("number") for k in errors):
            return None
        parts = CaseNumber(year, prefix, word, seq)
        return numbering, parts, parts.text

    def _parties(self, raw: Any, errors: dict[str, str]) -> list[Party]:
        if not isinstance(raw, list) or not raw:
            errors["parties"] = "至少需要一名申请人。"
            return []
        found = []
        for i, item in enumerate(raw):
            where = f"parties[{i}]."
            if not isinstance(item, dict):
                errors[f"parties[{i}]"] = "当事人应为一个对象。"
                continue
            if item.get("masked"):
                errors[f"{where}id_number"] = "证件号码和电话已打码，不能导入；请用有权查看的账户导出。"
                continue
            form = party_service.PartyForm(**{name: _text(item.get(name)) for name in party_service.PARTY_FIELDS})
            party = party_service.validate(form, errors, prefix=where)
            if party is not None:
                party.sort_order = i
                found.append(party)
        if not any(isinstance(p, dict) and p.get("role") == "申请人" for p in raw):
            errors.setdefault("parties", "至少需要一名申请人。")
        return found

    # --- what happened to it ------------------------------------------------------------
    def _mediators(self, raw: Any, errors: dict[str, str]) -> list[tuple[int, bool]]:
        found: list[tuple[int, bool]] = []
        for i, item in enumerate(_list(raw, "mediators", errors)):
            username, lead = (
                (item.get("username"), _flag(item.get("lead"))) if isinstance(item, dict) else (item, False)
            )
            person = self.lookup.person(username)
            if person is None:
                errors[f"mediators[{i}]"] = no_person(username)
            elif person.id in {pid for pid, _ in found}:
                errors[f"mediators[{i}]"] = "同一调解员重复列出。"
            else:
                found.append((person.id, lead))
        return found

    def _records(self, raw: Any, errors: dict[str, str]) -> list[CaseRecord]:
        found = []
        for i, item in enumerate(_list(raw, "records", errors)):
            where = f"records[{i}]"
            kind = RECORD_KINDS.get(_text(item.get("kind")) if isinstance(item, dict) else "")
            if kind is None:
                errors[f"{where}.kind"] = "记录类型无效，应为 " + "、".join(RECORD_KINDS) + " 之一。"
                continue
            fields = item.get("fields") if isinstance(item.get("fields"), dict) else {}
            field_errors: dict[str, str] = {}
            values = clean_fields(kind, fields, field_errors)
            errors.update({f"{where}.fields.{k}": v for k, v in field_errors.items()})
            held_on = self._day(item, "held_on", errors, f"{where}.held_on")
            if held_on is None and kind.date_field and values.get(kind.date_field) and not field_errors:
                held_on = date.fromisoformat(values[kind.date_field])
            creator = self._person(item, "created_by", errors, f"{where}.created_by", fallback=self.scope.importer)
            record = CaseRecord(  # type: ignore[call-arg]  # case_id: set when the case is written
                kind=kind.code, held_on=held_on, fields=values, created_by=creator.id if creator else None
            )
            if (moment := self._moment(item, "created_at", errors, f"{where}.created_at")) is not None:
                record.created_at = moment
            found.append(record)
        return found

    def _transfers(self, raw: Any, org: Organisation, errors: dict[str, str]) -> list[Transfer]:
        found = []
        for i, item in enumerate(_list(raw, "transfers", errors)):
            where = f"transfers[{i}]"
            if not isinstance(item, dict):
                errors[where] = "移送记录应为一个对象。"
                continue
            ends = {}
            for end in ("from", "to"):
                other = self.lookup.org(item.get(end))
                if other is None or not self.scope.related(org, other):
                    errors[f"{where}.{end}"] = NO_ORG
                ends[end] = other
            # Routing between two other bodies would let them see the case as if they had routed it.
            if all(ends.values()) and not any(self.scope.inside(end) for end in ends.values()):
                errors[where] = NO_ROUTE
            kind, state, letter = _text(item.get("kind")), _text(item.get("state")), _text(item.get("letter")).strip()
            if kind not in TRANSFER_KINDS:
                errors[f"{where}.kind"] = "移送方式应为 " + "、".join(TRANSFER_KINDS) + " 之一。"
            if state not in TransferState._value2member_map_:
                errors[f"{where}.state"] = "移送状态应为 " + "、".join(s.value for s in TransferState) + " 之一。"
            if not letter:
                errors[f"{where}.letter"] = "请填写移送函正文。"
            creator = self._person(item, "created_by", errors, f"{where}.created_by", fallback=self.scope.importer)
            if creator is None and f"{where}.created_by" not in errors:
                errors[f"{where}.created_by"] = "请写明拟稿人的登录名。"
            people = {
                name: self._person(item, name, errors, f"{where}.{name}") for name in ("signed_by", "answered_by")
            }
            moments = {
                name: self._moment(item, name, errors, f"{where}.{name}")
                for name in ("created_at", "sent_at", "answered_at", "fed_back_at")
            }
            due = self._day(item, "answer_due_on", errors, f"{where}.answer_due_on")
            if any(k.startswith(where) for k in errors):
                continue
            transfer = Transfer(  # type: ignore[call-arg]  # case_id: set when the case is written
                from_org_id=ends["from"].id,
                from_path=moves.stored_path(self.lookup.db, ends["from"]),
                to_org_id=ends["to"].id,
                to_path=moves.stored_path(self.lookup.db, ends["to"]),
                kind=kind,
                letter=letter[:10000],
                state=TransferState(state),
                created_by=creator.id,
                signed_by=people["signed_by"].id if people["signed_by"] else None,
                answered_by=people["answered_by"].id if people["answered_by"] else None,
                sent_at=moments["sent_at"],
                answered_at=moments["answered_at"],
                fed_back_at=moments["fed_back_at"],
                answer_due_on=due,
                answer_reason=_text(item.get("answer_reason"))[:2000],
                feedback=_text(item.get("feedback")),
            )
            if moments["created_at"] is not None:
                transfer.created_at = moments["created_at"]
            found.append(transfer)
        return found

    def _events(self, raw: Any, org: Organisation, errors: dict[str, str]) -> list[CaseEvent]:
        found = []
        for i, item in enumerate(_list(raw, "events", errors)):
            where = f"events[{i}]"
            if not isinstance(item, dict) or not _text(item.get("kind")).strip():
                errors[f"{where}.kind"] = "请写明时间线事件的类型。"
                continue
            actor = self._person(item, "actor", errors, f"{where}.actor")
            event_org = None
            if item.get("org") not in (None, "", {}):
                event_org = self.lookup.org(item["org"])
                if event_org is None or not self.scope.related(org, event_org):
                    errors[f"{where}.org"] = NO_ORG
                    continue
            event = CaseEvent(  # type: ignore[call-arg]  # case_id: set when the case is written
                actor_id=actor.id if actor else None,
                actor_name=_text(item.get("actor_name") or (actor.name if actor else ""))[:64],
                org_id=event_org.id if event_org else None,
                org_name=_text(item.get("org_name") or (event_org.name if event_org else ""))[:100],
                kind=_text(item["kind"]).strip()[:30],
                summary=_text(item.get("summary"))[:500],
            )
            if (moment := self._moment(item, "at", errors, f"{where}.at")) is not None:
                event.at = moment
            found.append(event)
        return found

    # --- values -------------------------------------------------------------------------
    def _person(
        self, data: dict, name: str, errors: dict[str, str], where: str, *, fallback: Person | None = None
    ) -> Person | None:
        username = data.get(name)
        if username in (None, ""):
            return fallback
        person = self.lookup.person(username)
        if person is None:
            errors[where] = no_person(username)
        return person

    @staticmethod
    def _day(data: dict, name: str, errors: dict[str, str], where: str) -> date | None:
        raw = data.get(name)
        if raw in (None, ""):
            return None
        try:
            return inputs.day(raw)
        except inputs.BadInput as exc:
            errors[where] = exc.message
            return None

    @staticmethod
    def _moment(data: dict, name: str, errors: dict[str, str], where: str) -> datetime | None:
        raw = data.get(name)
        if raw in (None, ""):
            return None
        try:
            moment = datetime.fromisoformat(str(raw)) if str(raw).isascii() else None
        except ValueError:
            moment = None
        if moment is None:
            errors[where] = "请按 ISO 8601 填写时间（如 2025-03-01T08:30:00+08:00）。"
            return None
        if not inputs.EARLIEST <= moment.date() <= inputs.LATEST:
            errors[where] = f"时间应在 {inputs.EARLIEST.year} 年到 {inputs.LATEST.year} 年之间。"
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "是", "√")
    return bool(value)


def _list(raw: Any, name: str, errors: dict[str, str]) -> list:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors[name] = "应为一个列表。"
        return []
    return raw
