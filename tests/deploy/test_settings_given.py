"""Every setting a function's code needs is given by stack.yml: its environment or one of its secret files.

The settings classes are found by walking each handler's import closure (pwcore.admin.imports), the same
closure its requirements.txt is derived from; a field counts when it has no default or is marked
`deployed(...)` (a default for tests that a deployed function cannot run with).
"""

from __future__ import annotations

import importlib
import inspect

import pytest

from pwcore.admin.imports import closure_of
from pwcore.settings import Settings, required_in_deployment
from pwdev.stackyml import FunctionSpec, functions

SPECS = functions()


def settings_classes(spec: FunctionSpec) -> list[type[Settings]]:
    found = []
    for module in sorted(closure_of(spec.handler_dir / "handler.py").modules):
        mod = importlib.import_module(module)
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if issubclass(cls, Settings) and cls is not Settings and cls.__module__ == module:
                found.append(cls)
    return found


def missing_settings(spec: FunctionSpec) -> list[str]:
    env = spec.code_environment
    secrets = set(spec.secrets)
    missing = []
    for cls in settings_classes(spec):
        for field, (var, secret_file) in required_in_deployment(cls).items():
            candidates = {secret_file, secret_file.replace("-", "_"), var}
            if not env.get(var) and not candidates & secrets:
                missing.append(f"{spec.name}: {cls.__name__}.{field} needs environment {var} or secret file "
                               f"{secret_file}; stack.yml gives neither")
    return missing


@pytest.mark.parametrize("name", list(SPECS))
def test_stack_yml_gives_every_needed_setting(name: str) -> None:
    assert missing_settings(SPECS[name]) == []


def test_the_walk_finds_the_settings_each_function_uses() -> None:
    """Not vacuous: the walk reaches the classes the handlers load, and a secret taken away is named."""
    names = {cls.__name__ for cls in settings_classes(SPECS["backup"])}
    assert {"BackupSettings", "S3Settings", "WebhookSettings"} <= names
    assert "SMTPSettings" in {cls.__name__ for cls in settings_classes(SPECS["calendar-tick"])}
    backup = SPECS["backup"]
    stripped = FunctionSpec(**{**backup.__dict__, "secrets": tuple(s for s in backup.secrets
                                                                     if s != "backup-public-keys")})
    assert missing_settings(stripped) == [
        "backup: BackupSettings.public_keys needs environment BACKUP_PUBLIC_KEYS or secret file backup-public-keys;"
        " stack.yml gives neither"]
    tick = SPECS["calendar-tick"]
    no_smtp = FunctionSpec(**{**tick.__dict__, "environment": {k: v for k, v in tick.environment.items()
                                                               if not k.startswith("SMTP_")}})
    assert any("SMTPSettings.host needs environment SMTP_HOST or secret file smtp-host" in m
               for m in missing_settings(no_smtp))
