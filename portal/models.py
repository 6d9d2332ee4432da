"""Every table, imported in one place for Alembic and the tests."""

from sqlmodel import SQLModel

from portal.alerts.models import AlertReview
from portal.assessment.models import Assessment, Rubric, RubricItem, Score, ScoreItem
from portal.audit.models import AuditEntry, AuditHead
from portal.auth.models import LoginFailure, WebSession
from portal.bulletins.models import Bulletin, BulletinIssue
from portal.cases.models import (
    Case,
    CaseEvent,
    CaseFile,
    CaseMediator,
    CaseRecord,
    CaseSequence,
    DisputeType,
    Party,
    Transfer,
)
from portal.dossiers.models import BindingJob, DisposalRecord, DossierVersion, FixityRun, SignedScan
from portal.experts.models import Expert
from portal.orgs.models import Organisation, Supervision
from portal.people.models import Membership, Person
from portal.problems.models import Problem, ProblemEvent
from portal.screening.models import ScreeningRound
from portal.searching.models import SavedSearch, SearchOutbox  # noqa: F401 - and the outbox listener, via portal.searching.outbox
from portal.stats.models import CaseRepeat
from portal.training.models import TrainingAttendee, TrainingSession

metadata = SQLModel.metadata

__all__ = [
    "AlertReview",
    "AuditEntry",
    "AuditHead",
    "Case",
    "CaseEvent",
    "CaseFile",
    "CaseMediator",
    "CaseRecord",
    "CaseSequence",
    "DisputeType",
    "Party",
    "Transfer",
    "LoginFailure",
    "Membership",
    "Organisation",
    "Person",
    "WebSession",
    "metadata",
]
__all__ += ["CaseRepeat", "Expert", "Problem", "ProblemEvent", "ScreeningRound", "Supervision"]
__all__ += ["Bulletin", "BulletinIssue"]
__all__ += ["BindingJob", "DisposalRecord", "DossierVersion", "FixityRun", "SignedScan"]
__all__ += ["Assessment", "Rubric", "RubricItem", "Score", "ScoreItem", "TrainingAttendee", "TrainingSession"]

from portal.meetings.models import Meeting, MeetingBody, MeetingCase, MeetingDecision  # noqa: E402
from portal.subsidies.models import Claim, ClaimShare, ClaimStep, PaymentBatch, Tariff, TariffRate  # noqa: E402

__all__ += ["Meeting", "MeetingBody", "MeetingCase", "MeetingDecision"]
__all__ += ["Claim", "ClaimShare", "ClaimStep", "PaymentBatch", "Tariff", "TariffRate"]
