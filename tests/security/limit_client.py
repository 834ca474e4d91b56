"""One app process that tries to sign in N times with a wrong password and prints the status codes, one a line.

    python -m tests.security.limit_client CONFIG_JSON INSTANCE_FOLDER EMAIL N

Used by test_shared_counters.py to play two app servers (two processes) in front of one database or Redis.
"""

import json
import sys

from planner import create_app


def main() -> None:
    config, instance, email, attempts = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    app = create_app(config, instance_path=instance)
    client = app.test_client()
    for _ in range(attempts):
        response = client.post("/login", data={"email": email, "password": "falsch-falsch"},
                               environ_base={"REMOTE_ADDR": "192.0.2.7"})
        print(response.status_code, flush=True)


if __name__ == "__main__":
    main()
