"""The resilient client every caller of the IRIS services uses (the CLI, the Prefect flow, benchmarks)."""

from iris_common.client.breaker import BreakerState, CircuitBreaker, CircuitOpen
from iris_common.client.errors import ServiceCallError
from iris_common.client.iris_client import IrisClient
from iris_common.client.replicas import ServiceReplicas

__all__ = ["BreakerState", "CircuitBreaker", "CircuitOpen", "IrisClient", "ServiceCallError", "ServiceReplicas"]
