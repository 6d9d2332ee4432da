"""Signing in and out, and changing passwords, with the audit entries each one owes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from portal.audit import service as audit
from portal.audit.models import AuditEntry
from portal.auth import passwords, sessions, throttle
from portal.db import lock, utcnow
from portal.errors import Invalid
from portal.orgs.models import Organisation
from portal.people.models import Membership, Person
from portal.settings import Settings


@dataclass
class SignIn:
    """The outcome of a sign-in attempt: a token, or the message to show."""

    token: str | None = None
    person: Person | None = None
    message: str = ""


def home_org(db: Session, person: Person) -> Organisation | None:
    """The person's first organisation: audit entries about them are filed there."""
    return db.exec(
        select(Organisation)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.person_id == person.id)
        .order_by(Organisation.depth, Organisation.id)
    ).first()


def sign_in(
    db: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    address: str,
    user_agent: str,
    old_token: str | None,
) -> SignIn:
    username = username.strip()
    minutes = throttle.locked_minutes(db, settings, username, address)
    person = db.exec(select(Person).where(func.lower(Person.username) == username.lower())).first()
    org = home_org(db, person) if person else None
    if minutes:
        audit.record(
            db,
            "auth.locked",
            actor=person,
            actor_name=username[:64],
            org=org,
            object_type="person",
            object_id=person.id if person else "",
            summary=f"锁定期内尝试登录：{username[:40]}",
            address=address,
        )
        return SignIn(message=f"登录失败次数过多，已暂时锁定。请 {minutes} 分钟后再试，或联系管理员。")
    ok = passwords.verify_password(person.password_hash if person else None, password)
    if not ok or person is None or not person.active:
        throttle.record_failure(db, username, address)
        reason = "账户已停用" if ok and person and not person.active else "用户名或密码错误"
        audit.record(
            db,
            "auth.sign_in_failed",
            actor=person,
            actor_name=username[:64],
            org=org,
            object_type="person",
            object_id=person.id if person else "",
            summary=f"{reason}：{username[:40]}",
            address=address,
        )
        if ok and person and not person.active:
            return SignIn(message="该账户已停用，请联系管理员。")
        return SignIn(message="用户名或密码错误。")
    throttle.clear_account(db, username)
    if person.password_hash and passwords.needs_rehash(person.password_hash):
        person.password_hash = passwords.hash_password(password)
        db.add(person)
    token = sessions.start(db, person, address=address, user_agent=user_agent, replaces=old_token)
    audit.record(
        db,
        "auth.sign_in",
        actor=person,
        org=org,
        object_type="person",
        object_id=person.id,
        summary="登录成功",
        address=address,
    )
    return SignIn(token=token, person=person)


def sign_out(db: Session, person: Person, token: str, *, address: str) -> None:
    sessions.end(db, token)
    audit.record(
        db,
        "auth.sign_out",
        actor=person,
        org=home_org(db, person),
        object_type="person",
        object_id=person.id,
        summary="退出登录",
        address=address,
    )


def session_expired(db: Session, person: Person, *, address: str) -> None:
    audit.record(
        db,
        "auth.session_expired",
        actor=person,
        org=home_org(db, person),
        object_type="person",
        object_id=person.id,
        summary="会话超时或已失效",
        address=address,
    )


@dataclass
class PasswordChange:
    current: str
    new: str
    repeat: str


def change_password(db: Session, person: Person, form: PasswordChange, *, token: str, address: str) -> None:
    """Change the person's own password; every other session of theirs is ended."""
    lock(db, Person, person.id)  # the signed-in Principal's copy may be older than the row: change the row as it is
    person = db.exec(select(Person).where(Person.id == person.id).execution_options(populate_existing=True)).one()
    errors: dict[str, str] = {}
    if not passwords.verify_password(person.password_hash, form.current):
        errors["current"] = "当前密码不正确。"
    problem = passwords.password_problem(form.new, username=person.username)
    if problem:
        errors["new"] = problem
    elif form.new != form.repeat:
        errors["repeat"] = "两次输入的新密码不一致。"
    elif form.new == form.current:
        errors["new"] = "新密码不能与当前密码相同。"
    if errors:
        raise Invalid(errors)
    person.password_hash = passwords.hash_password(form.new)
    person.password_changed_at = utcnow()
    person.version += 1
    db.add(person)
    sessions.end_all_for(db, person.id, keep=token)
    audit.record(
        db,
        "auth.password_changed",
        actor=person,
        org=home_org(db, person),
        object_type="person",
        object_id=person.id,
        summary="修改本人密码",
        address=address,
    )


def last_sign_in(db: Session, person: Person) -> tuple[datetime, str] | None:
    """When and from where the person signed in before the current session."""
    rows = db.exec(
        select(AuditEntry.at, AuditEntry.address)
        .where(AuditEntry.actor_id == person.id, AuditEntry.action == "auth.sign_in")
        .order_by(AuditEntry.seq.desc())
        .limit(2)
    ).all()
    return (rows[1][0], rows[1][1]) if len(rows) > 1 else None
