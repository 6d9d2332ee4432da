"""Who signs a letter (portal.cases.signing): each body its own leader, never the body that answers the letter; the
queues that follow from it; and the timeline naming the signer's own organisation."""

from __future__ import annotations

import io
import re

import pytest
from bs4 import BeautifulSoup
from daily import build_daily_world, register, who
from factories import sign_in
from pypdf import PdfReader
from sqlmodel import Session, select

from portal import clock
from portal.cases import queues, signing, transfers
from portal.cases.models import CaseEvent, Transfer, TransferState
from portal.db import transaction
from portal.errors import Forbidden
from portal.orgs.models import Organisation
from portal.people.models import Membership
from portal.scope import OutOfScope

LETTER = "当事人反映邻里排水纠纷，请贵委会依法调解，附登记表一份。"


def send(db: Session, world, case, by: str, to: str, kind: str) -> Transfer:  # noqa: ANN001
    return transfers.create(db, who(db, world, by), case, to_org_id=str(world.org(to).id), kind=kind, letter=LETTER)


def queue_size(db: Session, world, key: str, queue: str) -> int:  # noqa: ANN001
    return queues.counts(db, who(db, world, key), clock.today()).get(queue, 0)


def test_the_petition_bureau_signs_its_own_letter_not_the_county_director(engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case = register(db, world, "xf", "xf.clerk")
        transfer = send(db, world, case, "xf.clerk", "a1", "访调对接")
        assert transfer.state is TransferState.AWAITING_SIGNOFF and transfer.signer_org_id == world.org("xf").id
        assert queue_size(db, world, "xf.head", "sign") == 1 and queue_size(db, world, "a.director", "sign") == 0
        for outsider in ("a.director", "xf.clerk"):  # the county's director above it, its own window
            with pytest.raises(Forbidden, match="甲县信访局访调对接中心的负责人"):
                transfers.sign_off(db, who(db, world, outsider), transfer.id, answer_days=7)
        with pytest.raises(OutOfScope):  # the receiver does not even see a draft
            transfers.sign_off(db, who(db, world, "a1.director"), transfer.id, answer_days=7)
        transfers.sign_off(db, who(db, world, "xf.head"), transfer.id, answer_days=7)
        assert transfer.state is TransferState.SENT and transfer.signed_by == world.person("xf.head").id
        assert queue_size(db, world, "a1.director", "inbox") == 1
        assert queue_size(db, world, "a.director", "inbox") == 0  # the township has its own window: not the county's
        signed = db.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())).first()
        assert (signed.actor_name, signed.org_name) == ("信访局负责人", "甲县信访局访调对接中心")


def test_a_police_station_sends_its_公调对接_signed_by_its_own_head(engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case = register(db, world, "pcs", "pcs.police")
        transfer = send(db, world, case, "pcs.police", "a1", "公调对接")
        assert transfer.state is TransferState.AWAITING_SIGNOFF and transfer.signer_org_id == world.org("pcs").id
        with pytest.raises(
            Forbidden, match="东镇派出所的负责人"
        ):  # the township above it no longer signs (then accepts)
            transfers.sign_off(db, who(db, world, "a1.director"), transfer.id, answer_days=7)
        transfers.sign_off(db, who(db, world, "pcs.head"), transfer.id, answer_days=7)
        transfers.accept(db, who(db, world, "a1.director"), transfer.id)
        assert transfer.state is TransferState.ACCEPTED and case.org_id == world.org("a1").id


def test_a_body_without_a_leader_sends_at_once_to_the_body_that_answers_for_it(engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        police = register(db, world, "pcs2", "pcs2.police")  # a station whose 负责人 is not appointed
        to_township = send(db, world, police, "pcs2.police", "a1", "公调对接")
        assert to_township.state is TransferState.SENT and to_township.signer_org_id is None
        assert police.in_transfer and to_township.answer_due_on is not None
        grid = register(db, world, "a1a_g", "a1a.grid")
        to_village = send(db, world, grid, "a1a.grid", "a1a", "上报")  # the grid's report to its own village
        assert to_village.state is TransferState.SENT
        elsewhere = register(db, world, "a1a_g", "a1a.grid")
        to_county = send(db, world, elsewhere, "a1a.grid", "a", "上报")  # past the village: its director signs
        assert to_county.state is TransferState.AWAITING_SIGNOFF and to_county.signer_org_id == world.org("a1a").id


def test_a_body_without_its_own_leader_borrows_the_nearest_above_unless_that_one_answers(engine) -> None:
    world = build_daily_world(engine)
    with transaction(engine) as db:
        head = db.exec(select(Membership).where(Membership.person_id == world.person("xf.head").id)).one()
        db.delete(head)
    with Session(engine) as db:
        xf, a, a1 = (db.get(Organisation, world.org(k).id) for k in ("xf", "a", "a1"))
        assert signing.signing_body(db, xf, a1).id == a.id  # to the township: the county's director signs
        assert signing.signing_body(db, xf, a) is None  # to the county itself: it would sign its own inbox
        case = register(db, world, "xf", "xf.clerk")
        transfer = send(db, world, case, "xf.clerk", "a1", "访调对接")
        assert queue_size(db, world, "a.director", "sign") == 1
        transfers.sign_off(db, who(db, world, "a.director"), transfer.id, answer_days=7)
        assert transfer.state is TransferState.SENT


def test_a_公调对接_letter_prints_on_the_polices_own_form(client, engine) -> None:
    world = build_daily_world(engine)
    with Session(engine) as db:
        case = register(db, world, "pcs", "pcs.police")
        transfer = send(db, world, case, "pcs.police", "a1", "公调对接")
        transfers.sign_off(db, who(db, world, "pcs.head"), transfer.id, answer_days=7)
        transfers.accept(db, who(db, world, "a1.director"), transfer.id)
        db.commit()
        case_id = case.id
    sign_in(client, "a1.director")
    dossier = BeautifulSoup(client.get(f"/cases/{case_id}/dossier").text, "html.parser")
    assert "公安机关移交人民调解函（附回执）" in dossier.get_text()
    response = client.get(f"/cases/{case_id}/documents/transfer:0")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"\s+", "", text)
    for words in (
        "公安机关移交人民调解函",
        "《中华人民共和国人民调解法》第十八条",
        "东镇派出所（印）",
        "回执",
        "张某",
        "李某",
    ):
        assert words in text, words
