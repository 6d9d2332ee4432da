"""`portal indexer`, `portal reindex`, `portal search check` (registered on the main command in portal/cli.py)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time

import click
from sqlmodel import Session, select

from portal.cases.models import Case
from portal.db import make_engine
from portal.searching import indexer as indexing
from portal.searching import service
from portal.settings import Settings


def _settings() -> Settings:
    from portal import clock

    settings = Settings()
    clock.set_timezone(settings.timezone)
    return settings


@click.command(
    "indexer", help="运行检索索引程序（前台）：把案件变更写入全文索引。服务器已自带一个；同一数据目录只会有一个在运行。"
)
@click.option("--once", is_flag=True, help="处理完待索引的变更后退出。")
def indexer_command(once: bool) -> None:
    settings = _settings()
    engine = make_engine(settings.effective_database_url)
    lock = indexing.wait_for_lock(settings, timeout=0 if once else 3600 * 24 * 365)
    if lock is None:
        raise click.ClickException("另一个索引程序正在运行（同一数据目录只能有一个）。")
    try:
        worker = indexing.Indexer(settings, engine)
        if once:
            if not worker.ensure_index():
                raise click.ClickException("索引无法打开，请运行 portal reindex。")
            click.echo(f"已索引 {worker.drain()} 项变更。")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        click.echo(f"索引程序已启动（pid 锁：{indexing.lock_path(settings)}）。")
        with contextlib.suppress(KeyboardInterrupt):
            worker.run(stop, lock=lock)
    finally:
        lock.release()
        engine.dispose()


@click.command("reindex", help="从数据库重建全文索引：写入新目录，完成后原子切换；重建期间检索照常可用。")
@click.option("--wait/--no-wait", default=True, help="服务器的索引程序在运行时，等它完成重建。")
def reindex_command(wait: bool) -> None:
    settings = _settings()
    engine = make_engine(settings.effective_database_url)
    try:
        lock = indexing.wait_for_lock(settings, timeout=0)
        if lock is None:  # the server's indexer holds the lock: ask it, and wait
            settings.index_dir.mkdir(parents=True, exist_ok=True)
            indexing.reindex_request(settings).write_text("requested")
            click.echo("已请求运行中的索引程序重建索引。")
            while wait and indexing.reindex_request(settings).exists():
                time.sleep(1)
            if wait:
                click.echo("重建完成。")
            return
        try:
            started = time.perf_counter()
            count = indexing.Indexer(settings, engine).rebuild(
                progress=lambda done, total: click.echo(f"\r已索引 {done}/{total}", nl=False, err=True)
            )
            indexing.reindex_request(settings).unlink(missing_ok=True)
            click.echo(f"\n索引已重建：{count} 件案件，{time.perf_counter() - started:.1f} 秒。")
        finally:
            lock.release()
    finally:
        engine.dispose()


@click.group("search", help="全文检索的维护命令。")
def search_group() -> None:
    pass


@search_group.command("check", help="核对索引与数据库（案件编号与版本），并修复差异（把差异案件排入索引队列）。")
@click.option("--repair/--no-repair", default=True)
def check_command(repair: bool) -> None:
    import search as search_lib
    from portal.searching.models import SearchOutbox

    settings = _settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with Session(engine) as db:
            expected = {case_id: version for case_id, version in db.exec(select(Case.id, Case.version)).all()}
            try:
                report = service.index_for(settings.index_dir).check(expected)
            except search_lib.IndexUnavailable as exc:
                raise click.ClickException(f"索引无法打开：{exc.reason}。请运行 portal reindex。") from exc
            click.echo(
                f"数据库 {len(expected)} 件；索引缺少 {len(report.missing)} 件，"
                f"版本过旧 {len(report.stale)} 件，多余 {len(report.extra)} 件。"
            )
            if report.ok:
                click.echo("索引与数据库一致。")
                return
            if repair:
                for case_id in [*report.missing, *report.stale, *report.extra]:
                    db.add(SearchOutbox(case_id=case_id))
                db.commit()
                click.echo("已把差异案件排入索引队列；运行中的索引程序会在几秒内修复（或运行 portal indexer --once）。")
            sys.exit(0 if repair else 1)
    finally:
        engine.dispose()


COMMANDS = [indexer_command, reindex_command, search_group]
