from __future__ import annotations

from layers.models.agency import Agency, Membership
from layers.models.agreement import Agreement, AgreementVersion, LegalBasis
from layers.models.audit import AuditEvent
from layers.models.dataset import Dataset, Indicator
from layers.models.export import ProfileExportJob
from layers.models.geography import Area, AreaShape, CustomArea, GeographyLevel, Lookup
from layers.models.priority import Priority, PriorityTarget
from layers.models.product import Product, ProductSource
from layers.models.protection import ProtectedTable
from layers.models.release import Period, Release
from layers.models.token import ApiToken, FailedLogin
from layers.models.twofactor import RecoveryCode, RecoveryCodes

__all__ = [
    "Agency",
    "Agreement",
    "AgreementVersion",
    "ApiToken",
    "Area",
    "AreaShape",
    "AuditEvent",
    "CustomArea",
    "Dataset",
    "FailedLogin",
    "GeographyLevel",
    "Indicator",
    "LegalBasis",
    "Lookup",
    "Membership",
    "Period",
    "Priority",
    "PriorityTarget",
    "Product",
    "ProductSource",
    "ProfileExportJob",
    "ProtectedTable",
    "RecoveryCode",
    "RecoveryCodes",
    "Release",
]
