"""People in the demo cases: fictional applicants and respondents
with well-formed 身份证 and 统一社会信用代码 numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from portal.cases.parties import PartyForm
from portal.demo_cases import data


def resident_id(rng: random.Random, born: date, male: bool, region: str | None = None) -> str:
    """A well-formed 18-digit 身份证 number (GB 11643 check digit) for a fictional person."""
    region = region or rng.choice(data.REGION_CODES)
    seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    check = "10X98765432"[
        sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    ]
    return body + check


def uscc(rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 (GB 32100 check character) for a fictional company."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = "91369921" + "".join(rng.choice(chars[:10] + "ABCDEFGH") for _ in range(9))
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


@dataclass
class Someone:
    name: str
    male: bool
    born: date
    id_number: str
    phone: str
    address: str
    ethnicity: str
    occupation: str

    def form(self, role: str) -> PartyForm:
        return PartyForm(
            role=role,
            name=self.name,
            sex="男" if self.male else "女",
            ethnicity=self.ethnicity,
            occupation=self.occupation,
            id_type="resident_id",
            id_number=self.id_number,
            phone=self.phone,
            address=self.address,
        )


def make_person(rng: random.Random, today: date, place: str, *, min_age: int = 20, max_age: int = 78) -> Someone:
    male = rng.random() < 0.55
    name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_MALE if male else data.GIVEN_FEMALE)
    born = today - timedelta(days=rng.randint(min_age * 365, max_age * 365))
    phone = (
        rng.choice(("139", "138", "137", "136", "135", "158", "159", "188", "187", "151", "152", "182"))
        + f"{rng.randrange(10**8):08d}"
    )
    address = (
        f"清溪县{place}{rng.choice(data.STREETS)}{rng.randint(1, 188)}号"
        if "社区" in place or "街道" in place
        else f"清溪县{place}{rng.randint(1, 9)}组{rng.randint(1, 60)}号"
    )
    return Someone(
        name,
        male,
        born,
        resident_id(rng, born, male),
        phone,
        address,
        rng.choice(data.ETHNICITIES),
        rng.choice(data.OCCUPATIONS),
    )
