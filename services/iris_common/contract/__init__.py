"""Wire types shared by all IRIS services and their clients."""

from iris_common.contract.envelope import Envelope, ErrorInfo
from iris_common.contract.error_codes import ErrorCode
from iris_common.contract.health import CheckResult, HealthReport, HealthStatus

__all__ = ["CheckResult", "Envelope", "ErrorCode", "ErrorInfo", "HealthReport", "HealthStatus"]
