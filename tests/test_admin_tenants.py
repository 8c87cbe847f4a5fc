"""alice-admin's tenant, privacy and backup commands, as an operator runs them."""

from __future__ import annotations

import json
import secrets

import jwt

from alice_server.admin import backup_file
from tests.support.processes import admin


def number() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"


async def test_onboard_update_export_erase_backup_audit(database, secret, tmp_path):
    owner = {"ALICE_ADMIN_DATABASE_URL": database.owner_url, "JWT_SECRET_KEY": secret}
    dialled = number()
    code, out, err = await admin(
        "onboard",
        "--name",
        "Bayview Insurance",
        "--agent-name",
        "Kim",
        "--phone",
        dialled[2:],
        "--time-zone",
        "Europe/Dublin",
        **owner,
    )
    assert code == 0, err
    onboarded = json.loads(out)
    customer_id = onboarded["id"]
    claims = jwt.decode(onboarded["token"], secret, algorithms=["HS256"])
    assert claims["customer_id"] == customer_id and claims["exp"] - claims["iat"] == 86400
    assert onboarded["customer"]["twilio_number"] == dialled

    code, out, err = await admin(
        "update-customer", str(customer_id), "--voice", "verse", "--rate-limit", "7", **owner
    )
    assert code == 0, err
    assert json.loads(out)["voice"] == "verse" and json.loads(out)["rate_limit_per_second"] == 7
    code, _, err = await admin(
        "update-customer", str(customer_id), "--time-zone", "Nowhere", **owner
    )
    assert code == 2 and "time_zone" in err
    code, _, err = await admin("update-customer", "999999999", "--voice", "x", **owner)
    assert code == 2 and "does not exist" in err

    code, token, err = await admin("mint-platform-token", "--scope", "platform:lookup", **owner)
    assert code == 0, err
    claims = jwt.decode(token.strip(), secret, algorithms=["HS256"])
    assert claims["platform"] is True and "customer_id" not in claims
    code, _, err = await admin("mint-platform-token", "--scope", "memory:read", **owner)
    assert code == 2 and "platform:" in err

    code, out, err = await admin(
        "export-user", "--customer-id", str(customer_id), "5550000000", **owner
    )
    assert code == 0 and out == "", err
    code, out, err = await admin(
        "erase-user", "--customer-id", str(customer_id), "5550000000", **owner
    )
    assert code == 0, err
    assert set(json.loads(out)["counts"].values()) == {0}

    code, out, err = await admin("backup", "--all", "--output", str(tmp_path), **owner)
    assert code == 0, err
    files = {json.loads(line)["customer_id"]: json.loads(line)["file"] for line in out.splitlines()}
    header, rows = backup_file.read(__import__("pathlib").Path(files[customer_id]))
    assert header.customer_id == customer_id and rows[0][0] == "customers"
    assert not list(tmp_path.glob("*.partial"))

    code, _, err = await admin(
        "erase-customer", str(customer_id), "--confirm", str(customer_id + 1), **owner
    )
    assert code == 2 and "--confirm" in err
    code, out, err = await admin(
        "erase-customer", str(customer_id), "--confirm", str(customer_id), **owner
    )
    assert code == 0, err
    assert json.loads(out)["counts"]["customers"] == 1

    code, out, err = await admin("audit-log", "--customer-id", str(customer_id), **owner)
    assert code == 0, err
    actions = [json.loads(line)["action"] for line in out.splitlines()]
    assert actions == [
        "delete_customer_data",
        "export_customer_data",
        "delete_user_data",
        "export_user_data",
    ]
