"""`portal stats check`: the statistics' stored facts against the cases' records (registered in portal/cli.py)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from portal import db
from portal.cases.models import Case
from portal.settings import Settings
from portal.stats import facts

SHOWN = 20  # case ids listed in the message


@click.group("stats", help="统计分析的维护命令。")
def stats_group() -> None:
    pass


@stats_group.command(
    "check",
    help="核对统计用的案件事实（按期回访、已评价、满意、重复访）与案件记录是否一致，并按记录重写不一致的案件。"
    "批量导入绕过门户写入后使用；一致时什么也不改。",
)
@click.option("--repair/--no-repair", default=True, show_default=True)
def check_command(repair: bool) -> None:
    engine = db.make_engine(Settings().effective_database_url)
    try:
        with db.transaction(engine) as session:
            conn = session.connection()
            total = conn.execute(select(func.count()).select_from(Case)).scalar_one()
            found = facts.stale(conn)
            click.echo(f"核对 {total} 件案件：统计事实与案件记录不一致 {len(found)} 件。")
            if not found:
                click.echo("统计事实与案件记录一致。")
                return
            more = f" 等 {len(found)} 件" if len(found) > SHOWN else ""
            click.echo("案件编号（内部）：" + "、".join(str(i) for i in found[:SHOWN]) + more)
            if not repair:
                sys.exit(1)
            facts.refresh_own(conn, found)
            facts.refresh_repeats(conn, found, [])
        click.echo("已按案件记录重写这些案件的统计事实。")
    finally:
        engine.dispose()
