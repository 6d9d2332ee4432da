"""Every action the audit trail records: its Chinese label and the group it is filtered by — one table, used by the
filters and the display alike (tests/test_audit_actions.py checks that every action the code writes is here)."""

from __future__ import annotations

from dataclasses import dataclass

# Groups in the order the filter offers them.
GROUPS: dict[str, str] = {
    "auth": "登录与会话",
    "security": "安全事件",
    "org": "组织机构变更",
    "person": "人员与角色变更",
    "personal_data": "查看个人信息",
    "export": "导出与打印",
    "import": "导入",
    "case": "案件办理",
    "transfer": "移送",
    "dossier": "卷宗与归档",
    "problem": "问题清单",
    "screening": "矛盾纠纷排查",
    "expert": "专家库",
    "alert": "预警研判",
    "bulletin": "研判预警专报",
    "assessment": "考核",
    "training": "培训",
    "subsidy": "个案补贴",
    "meeting": "联席会议",
    "system": "系统",
}

_TABLE: dict[str, tuple[str, str]] = {
    "alert.review": ("研判预警", "alert"),
    "bulletin.create": ("起草专报", "bulletin"),
    "bulletin.update": ("修改专报", "bulletin"),
    "bulletin.issue": ("签发专报", "bulletin"),
    "bulletin.view": ("查看专报", "bulletin"),
    "bulletin.print": ("打印专报", "bulletin"),
    "bulletin.download": ("下载专报", "bulletin"),
    "bulletin.annex": ("下载专报附件", "bulletin"),
    "auth.sign_in": ("登录成功", "auth"),
    "auth.sign_in_failed": ("登录失败", "auth"),
    "auth.locked": ("登录被锁定", "auth"),
    "auth.sign_out": ("退出登录", "auth"),
    "auth.session_expired": ("会话超时", "auth"),
    "auth.password_changed": ("修改密码", "auth"),
    "auth.password_reset": ("重置密码", "auth"),
    "security.csrf_rejected": ("请求校验失败", "security"),
    "security.out_of_scope": ("越权访问", "security"),
    "org.create": ("新建组织", "org"),
    "org.update": ("修改组织", "org"),
    "org.deactivate": ("停用组织", "org"),
    "org.activate": ("启用组织", "org"),
    "org.report_route": ("设置随手拍上报去向", "org"),
    "org.supervise": ("设置督导关系", "org"),
    "org.unsupervise": ("解除督导关系", "org"),
    "person.create": ("新建人员", "person"),
    "person.update": ("修改人员", "person"),
    "person.deactivate": ("停用人员", "person"),
    "person.activate": ("启用人员", "person"),
    "membership.create": ("授予角色", "person"),
    "membership.delete": ("撤销角色", "person"),
    "person.view_personal_data": ("查看人员个人信息", "personal_data"),
    "case.view_personal_data": ("查看当事人信息", "personal_data"),
    "export.roster": ("导出名册", "export"),
    "export.cases": ("导出案件台账", "export"),
    "case.download": ("下载案件材料", "export"),
    "dossier.print": ("打印文书", "export"),
    "dossier.download": ("下载卷宗", "export"),
    "dossier.handover": ("卷宗移交导出", "export"),
    "import.cases": ("导入案件台账", "import"),
    "import.checked": ("核对案件台账", "import"),
    "import.refused": ("台账导入被拒", "import"),
    "case.create": ("登记案件", "case"),
    "case.update": ("修改案件", "case"),
    "case.record": ("添加案件记录", "case"),
    "case.assign": ("指派或撤回调解员", "case"),
    "case.upload": ("上传材料", "case"),
    "case.remove_file": ("删除材料", "case"),
    "case.accept": ("受理案件", "case"),
    "case.refuse": ("不予受理", "case"),
    "case.investigate": ("开始调查", "case"),
    "case.mediate": ("开始调解", "case"),
    "case.succeed": ("调解成功", "case"),
    "case.fail": ("调解不成", "case"),
    "case.apply_confirmation": ("申请司法确认", "case"),
    "case.record_ruling": ("登记司法确认裁定", "case"),
    "case.perform": ("协议进入履行", "case"),
    "case.close": ("结案", "case"),
    "case.follow_up": ("回访", "case"),
    "case.evaluate": ("登记评价", "case"),
    "transfer.create": ("拟移送", "transfer"),
    "transfer.sign_off": ("审签移送", "transfer"),
    "transfer.withdraw": ("撤回移送", "transfer"),
    "transfer.accept": ("接收移送", "transfer"),
    "transfer.return": ("退回移送", "transfer"),
    "transfer.resume": ("被退回后继续办理", "transfer"),
    "dossier.bind": ("装订卷宗（草稿）", "dossier"),
    "dossier.bound": ("卷宗装订完成", "dossier"),
    "dossier.file_request": ("申请立卷归档", "dossier"),
    "dossier.filed": ("立卷归档", "dossier"),
    "dossier.scan": ("上传签字扫描件", "dossier"),
    "dossier.correct": ("开启卷宗更正", "dossier"),
    "dossier.destroy": ("销毁到期卷宗", "dossier"),
    "dossier.extend": ("延长保管期限", "dossier"),
    "dossier.fixity_incident": ("卷宗校验异常", "dossier"),
    "problem.create": ("登记问题", "problem"),
    "problem.update": ("修改问题", "problem"),
    "problem.start": ("问题开始化解", "problem"),
    "problem.resolve": ("问题已化解", "problem"),
    "problem.reopen": ("问题重新化解", "problem"),
    "problem.strike_off": ("问题销号", "problem"),
    "screening.create": ("记录排查", "screening"),
    "screening.update": ("修改排查记录", "screening"),
    "expert.create": ("新增专家", "expert"),
    "expert.update": ("修改专家", "expert"),
    "expert.deactivate": ("停用专家", "expert"),
    "expert.activate": ("启用专家", "expert"),
    "training.create": ("登记培训", "training"),
    "training.update": ("修改培训", "training"),
    "assessment.rubric": ("修改考核细则", "assessment"),
    "assessment.compute": ("计算考核得分", "assessment"),
    "assessment.adjust": ("调整考核得分", "assessment"),
    "assessment.publish": ("发布考核结果", "assessment"),
    "export.assessment": ("导出或打印考核结果", "export"),
    "subsidy.tariff": ("制定补贴标准", "subsidy"),
    "subsidy.claim": ("申报个案补贴", "subsidy"),
    "subsidy.approve": ("审核同意补贴", "subsidy"),
    "subsidy.refuse": ("不予补贴", "subsidy"),
    "subsidy.batch": ("编制补贴发放表", "subsidy"),
    "subsidy.paid": ("确认补贴已发放", "subsidy"),
    "export.subsidy_batch": ("导出补贴发放表", "export"),
    "meeting.create": ("记录联席会议", "meeting"),
    "meeting.decision": ("联席会议议定事项", "meeting"),
    "export.meeting_minutes": ("打印联席会议纪要", "export"),
    "demo.build": ("生成演示数据", "system"),
}


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    group: str


ACTIONS: dict[str, Action] = {code: Action(code, label, group) for code, (label, group) in _TABLE.items()}
LABELS: dict[str, str] = {code: a.label for code, a in ACTIONS.items()}


def label(code: str) -> str:
    """The Chinese label; an unknown code (an old entry, a new action not yet named) shows as itself."""
    action = ACTIONS.get(code)
    return action.label if action else code


def codes_of(choice: str) -> tuple[str, ...]:
    """What a filter value selects: a group's actions, or one action (or, from links of old, every action under a
    prefix such as "org."); () for anything else."""
    if choice in GROUPS:
        return tuple(a.code for a in ACTIONS.values() if a.group == choice)
    if choice.endswith("."):
        return tuple(code for code in ACTIONS if code.startswith(choice))
    return (choice,) if choice in ACTIONS else ()


def filter_options() -> list[tuple[str, list[tuple[str, str]] | str]]:
    """The filter's choices: each group, whole or one of its actions (as <optgroup>s)."""
    return [
        (name, [(key, f"全部{name}")] + [(a.code, a.label) for a in ACTIONS.values() if a.group == key])
        for key, name in GROUPS.items()
    ]
