"""The `portal` console command: serve, migrate, demo, create-admin, audit verify."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlmodel import Session

from portal import clock, db
from portal.admin import AdminRequest
from portal.admin import create_admin as create
from portal.audit import service as audit_service
from portal.bulletins.demo import issue_demo_bulletin
from portal.db import alembic_config, make_engine
from portal.demo import DEMO_PASSWORD, build_demo
from portal.demo_cases import build_demo_cases
from portal.demo_cases.filing import file_demo_dossiers
from portal.demo_management import build_demo_management
from portal.meetings.demo import build_demo_meetings
from portal.settings import Settings
from portal.subsidies.demo import build_demo_subsidies


def _settings() -> Settings:
    settings = Settings()
    clock.set_timezone(settings.timezone)
    return settings


@click.group(help="调解卷宗门户：服务、迁移、演示数据与管理命令。设置来自 PORTAL_* 环境变量或 .env 文件。")
def main() -> None:
    pass


@main.command(help="把数据库结构升级到最新版本（Alembic）。")
def migrate() -> None:
    settings = _settings()
    db.migrate(settings.effective_database_url)
    click.echo(f"数据库已是最新结构：{_redacted(settings.effective_database_url)}")


@main.command(help="以生产方式启动门户（uvicorn，多进程）。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="工作进程数，默认取 PORTAL_WORKERS（2）。")
def serve(host: str, port: int, workers: int | None) -> None:
    from archive import storage
    from portal import serving

    settings = _settings()
    settings.effective_secret_key()  # create the key file once, before the workers race for it
    _require_migrated(settings)
    try:
        serving.refuse_if_served(host, port)
    except serving.PortTaken as exc:
        raise click.ClickException(str(exc)) from exc
    for root in (settings.uploads_dir, settings.archive_dir, settings.data_dir / "texts"):
        removed = storage.sweep(root)  # what a killed process left between writing a file and renaming it
        if removed:
            click.echo(f"已清理 {root} 下 {removed} 个未完成写入的临时文件。")
    click.echo(f"调解卷宗门户已启动：http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/")
    serving.serve(
        "portal.app:create_app",
        host=host,
        port=port,
        workers=workers or settings.workers,
        proxy_headers=False,
        server_header=False,
        log_level="info",
        access_log=settings.access_log,
    )


def _require_migrated(settings: Settings) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = make_engine(settings.effective_database_url)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(settings.effective_database_url)).get_current_head()
    if current != head:
        raise click.ClickException(f"数据库结构不是最新（当前 {current}，应为 {head}）。请先运行：portal migrate")


@main.command(
    help=(
        "生成演示县（幂等）：组织机构、约 40 名各角色人员、约 300 件演示案件，其中 3 件已立卷归档，"
        "及上月的研判预警专报。仅用于演示模式。"
    )
)
def demo() -> None:

    settings = _settings()
    if not settings.demo_mode:
        raise click.ClickException("演示数据只能在演示模式下生成：请设置 PORTAL_DEMO_MODE=true。")
    _require_migrated(settings)
    engine = make_engine(settings.effective_database_url)
    report = build_demo(engine, password=DEMO_PASSWORD)
    cases_report = build_demo_cases(engine)
    filing_report = file_demo_dossiers(engine, settings)
    bulletin_line = issue_demo_bulletin(engine, settings)
    management_report = build_demo_management(engine)
    subsidy_report = build_demo_subsidies(engine)
    meetings_summary = build_demo_meetings(engine)
    engine.dispose()
    click.echo(report.summary())
    click.echo(cases_report.summary())
    click.echo(filing_report.summary())
    click.echo(bulletin_line)
    click.echo(management_report.summary())
    click.echo(subsidy_report.summary())
    click.echo(meetings_summary)
    click.echo(f"演示账户的密码均为：{DEMO_PASSWORD}")


@main.command("create-admin", help="创建第一个管理员（或为已有机构添加管理员）。")
@click.option("--username", required=True, help="登录名，如 admin")
@click.option("--name", required=True, help="姓名")
@click.option("--org-id", type=int, default=None, help="在哪个机构担任管理员；省略时新建最上级机构")
@click.option("--org-name", default=None, help="新建最上级机构的名称，如 某某市社会矛盾纠纷调处化解中心")
@click.option("--short-name", default=None, help="新建最上级机构的简称（案号前缀）")
@click.option("--tier", type=click.Choice(["city", "county"]), default="city", show_default=True)
@click.password_option("--password", envvar="PORTAL_ADMIN_PASSWORD", help="密码（也可由 PORTAL_ADMIN_PASSWORD 提供）")
def create_admin(
    username: str, name: str, org_id: int | None, org_name: str | None, short_name: str | None, tier: str, password: str
) -> None:

    settings = _settings()
    _require_migrated(settings)

    engine = make_engine(settings.effective_database_url)
    try:
        person, org = create(
            engine,
            AdminRequest(
                username=username,
                name=name,
                password=password,
                org_id=org_id,
                org_name=org_name,
                short_name=short_name,
                tier=tier,
            ),
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"已创建管理员 {person.name}（{person.username}），管理范围：{org.name}")


@main.group(help="操作日志。")
def audit() -> None:
    pass


@audit.command("verify", help="逐条核对操作日志的哈希链，报告第一处断裂。")
def audit_verify() -> None:

    engine = make_engine(_settings().effective_database_url)
    with Session(engine) as db:
        result = audit_service.verify(db)
    engine.dispose()
    if result.ok:
        click.echo(f"操作日志完整：共核对 {result.checked} 条。")
        return
    click.echo(
        f"操作日志链在第 {result.broken_seq} 条处断裂：{result.reason}（此前 {result.checked} 条完好）。", err=True
    )
    sys.exit(1)


@main.command(
    "import", help="导入案件台账（JSON Lines、CSV 或 XLSX，按内容识别）：整个文件要么全部导入，要么一件也不导入。"
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org-id", type=int, default=None, help="只导入到该机构及其下级；文件中未写明机构的案件导入到这里。")
@click.option("--dry-run", is_flag=True, help="只检查，不保存。")
def import_cases(file: Path, org_id: int | None, dry_run: bool) -> None:
    from portal.ledger import importer
    from portal.orgs.models import Organisation

    settings = _settings()
    _require_migrated(settings)
    try:  # read before the transaction begins: a server's writers never wait for the parse
        parsed = importer.parse(file.read_bytes())
    except importer.UnreadableFile as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.effective_database_url)
    try:
        with db.transaction(engine) as session:
            root = session.get(Organisation, org_id) if org_id is not None else None
            if org_id is not None and root is None:
                raise click.ClickException(f"没有编号为 {org_id} 的机构。")
            try:
                report = importer.import_file(
                    session,
                    parsed,
                    importer.cli_scope(root),
                    dry_run=dry_run,
                    actor_name="命令行导入",
                    audit_org=root,
                )
            except importer.UnreadableFile as exc:
                raise click.ClickException(str(exc)) from exc
            if not report.ok:  # nothing of the attempt is kept, except the audit entry saying it was refused
                session.rollback()
                importer.record_refusal(session, report, actor_name="命令行导入", audit_org=root)
    finally:
        engine.dispose()
    if not report.ok:
        for line in report.errors:
            click.echo(line, err=True)
        click.echo(f"未导入任何案件：{len(report.errors)} 处错误（{report.kind}，共 {report.lines} 件）。", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"检查通过（{report.kind}）：共 {report.lines} 件，未保存（--dry-run）。")
    else:
        click.echo(f"已导入 {report.imported} 件案件（{report.kind}）。")


@main.command(
    "export", help="导出案件台账（JSON Lines，每行一件案件，含全部字段）：全部案件，或一个机构及其下级的案件。"
)
@click.option("--org-id", type=int, default=None, help="只导出该机构及其下级的案件。")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="写入该文件；省略时写到标准输出。",
)
def export_cases(org_id: int | None, output: Path | None) -> None:
    from portal.ledger.export import export_all
    from portal.orgs.models import Organisation

    settings = _settings()
    _require_migrated(settings)
    engine = make_engine(settings.effective_database_url)
    count = 0
    try:
        with db.transaction(engine) as session:
            org = session.get(Organisation, org_id) if org_id is not None else None
            if org_id is not None and org is None:
                raise click.ClickException(f"没有编号为 {org_id} 的机构。")
            out = output.open("w", encoding="utf-8", newline="\n") if output else None
            try:
                for line in export_all(session, org):
                    count += 1
                    (out.write(line) if out else click.echo(line, nl=False))
            finally:
                if out:
                    out.close()
            audit_service.record(
                session,
                "export.cases",
                actor_name="命令行导出",
                org=org,
                object_type="organisation",
                object_id=org.id if org else "",
                summary=f"导出案件台账：{count} 件" + (f"（{org.name}）" if org else ""),
            )
    finally:
        engine.dispose()
    if output:
        click.echo(f"已导出 {count} 件案件到 {output}。", err=True)


from portal.searching.cli import COMMANDS as SEARCH_COMMANDS  # noqa: E402 - search's commands live with search

for _command in SEARCH_COMMANDS:
    main.add_command(_command)  # noqa: E701
from portal.dossiers.cli import archive_group  # noqa: E402 - the dossier commands live with the dossiers

main.add_command(archive_group)
from portal.stats.cli import stats_group  # noqa: E402 - the statistics' commands live with the statistics

main.add_command(stats_group)


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUTF8", "1")
    main()
