"""Runs inside NetBox's own virtual environment (Python >= 3.12), started by tests/netbox/live.py; never imported.

One Django start-up does what would otherwise take three `netbox` commands, each paying NetBox's import time:
list the migrations the restored database still needs and, when there are none, create the superuser and a v2 token.

    python netbox_side.py bootstrap   # -> {"pending": [], "token": "nbt_<key>.<secret>"} or {"pending": ["dcim.0231_x"]}

Needs DJANGO_SETTINGS_MODULE=netbox.settings and NETBOX_ROOT (the directory holding conf/configuration.py); bootstrap
reads the superuser's name and password from REFARCH_NETBOX_ADMIN and REFARCH_NETBOX_ADMIN_PASSWORD.
Django is imported through import_module: refarch's type checker runs on Python 3.11, where Django is not installed.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import import_module
from typing import Any


def pending_migrations() -> list[str]:
    """The migrations `netbox migrate` would apply, as `app.name` (what `migrate --check` tests for emptiness)."""
    connection = import_module("django.db").connection
    executor: Any = import_module("django.db.migrations.executor").MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def create_superuser_token(username: str, password: str) -> str:
    """A superuser and a v2 token for it; the full token is `nbt_<key>.<secret>`, the secret is never stored."""
    user_model: Any = import_module("django.contrib.auth").get_user_model()
    user = user_model.objects.create_superuser(username=username, email="", password=password)
    token: Any = import_module("users.models").Token(user=user, description="refarch tests")
    token.save()
    return f"nbt_{token.key}.{token.token}"


def main(argv: list[str]) -> int:
    if argv != ["bootstrap"]:
        print("usage: netbox_side.py bootstrap", file=sys.stderr)
        return 2
    import_module("django").setup()
    result: dict[str, Any] = {"pending": pending_migrations()}
    if not result["pending"]:
        env = os.environ
        result["token"] = create_superuser_token(env["REFARCH_NETBOX_ADMIN"], env["REFARCH_NETBOX_ADMIN_PASSWORD"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
