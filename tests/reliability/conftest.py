"""One local stack for the reliability suite, with a TcpProxy between every function and S3 (moto), short
leases so the reconcile sweep can finish stranded orders within the test, and one log folder that the
log scan reads at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pwdev.faults import ERPNextFaults, TcpProxy
from pwdev.procs import free_port
from pwdev.stack import LocalStack

# Recovery knobs production sets to minutes, shortened so a sweep can act within the test.
SHORT_LEASES = {
    "RECONCILE_PAYMENT_GRACE_S": "0",
    "PIPELINE_GENERATION_LEASE_S": "3",
    "RECONCILE_DELIVERY_GRACE_S": "2",
    "RECONCILE_MAX_REDISPATCH": "5",
    "RECONCILE_LOCK_TTL_S": "10",  # a sweep cut off from S3 cannot release its lock; production: 240
    "DELIVER_SENDING_LEASE_S": "5",
    "DELIVER_RECORD_LEASE_S": "5",
    "OLLAMA_SECTION_TIMEOUT_S": "4",
    "OLLAMA_RETRIES": "2",
    "SMTP_TIMEOUT_S": "5",
}


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reliability-logs")


@pytest.fixture(scope="session")
def s3_proxy() -> Iterator[TcpProxy]:
    # The proxy needs moto's port before the stack starts moto, so the port is picked here.
    proxy = TcpProxy("127.0.0.1", free_port()).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, log_dir: Path, s3_proxy: TcpProxy) -> Iterator[LocalStack]:
    workdir = tmp_path_factory.mktemp("reliability-stack")
    # The fault run measures the pipeline's recovery under injected faults with 4 queue workers, not stack.yml's
    # watchdog limits (tests/deploy runs those): as before stack.yml's environment reached the functions, no
    # max_inflight and the watchdog's default exec_timeout.
    env = {**SHORT_LEASES, "S3_ENDPOINT": s3_proxy.endpoint, "max_inflight": "0", "exec_timeout": "30s"}
    with LocalStack(workdir, gateway_workers=4, extra_env=env, webhook_retry_sleep_scale=0.01,
                    ports={"s3": s3_proxy.target[1]}, log_dir=log_dir) as s:
        assert s.ollama is not None
        s.ollama.hang_s = 6.0  # a hung model answer outlasts OLLAMA_SECTION_TIMEOUT_S, then ends
        yield s


@pytest.fixture(scope="session")
def end_faults(stack: LocalStack, s3_proxy: TcpProxy) -> Callable[[], None]:
    """Ends every fault the suite can inject: S3 proxy back to pass, ERPNext rules cleared, SMTP refusals and
    DATA failures reset, queued Ollama faults dropped. What follows starts from healthy dependencies."""

    def end() -> None:
        assert stack.erpnext is not None and stack.smtp is not None and stack.ollama is not None
        s3_proxy.set_mode("pass")
        ERPNextFaults(stack.erpnext.url).clear()
        stack.smtp.refuse_next(0)
        stack.smtp.fail_next_data(0)
        stack.ollama.clear_faults()

    return end
