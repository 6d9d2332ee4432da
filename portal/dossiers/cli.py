"""`portal archive …`: fixity verification and the PDF/A conformance check."""

from __future__ import annotations

from pathlib import Path

import click

from archive import conformance
from portal import clock
from portal.db import make_engine
from portal.dossiers import fixity
from portal.settings import Settings


@click.group("archive", help="卷宗归档：固定性校验与 PDF/A 检查。")
def archive_group() -> None:
    pass


@archive_group.command(
    "verify",
    help="重新计算每个已存文件（卷宗 PDF、清单和上传的原件）的 SHA-256，报告缺失或被改动的文件；有问题时退出码为 1。",
)
def verify() -> None:
    settings = Settings()
    clock.set_timezone(settings.timezone)
    engine = make_engine(settings.effective_database_url)
    try:
        run = fixity.verify_all(engine, settings, trigger="cli")
    finally:
        engine.dispose()
    for problem in run.problems:
        status = "缺失" if problem["status"] == "missing" else "被改动"
        version = f" 第 {problem['version']} 版" if problem.get("version") else ""
        click.echo(
            f"{status}：{problem['case']}{version} {problem['what']} {problem['key']}（应为 {problem['expected']}）"
        )
    click.echo(f"已核对 {run.checked} 个文件：缺失 {run.missing} 个，被改动 {run.changed} 个。")
    if run.problems:
        raise SystemExit(1)


@archive_group.command(
    "check",
    help=(
        "检查一个 PDF 是否符合 PDF/A（输出意图、XMP pdfaid、字体嵌入、无加密、无 JavaScript、附件声明、qpdf --check）。"
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    report = conformance.check_file(file)
    click.echo(report.text())
    if not report.ok:
        raise SystemExit(1)
