"""Check that the test services answer before the suite starts, with a message naming the one
that does not (instead of a hundred failing tests). Usage: wait_for_services.py DB_URL REDIS_URL"""

import sys
import time

import psycopg
import redis


def main(database_url: str, redis_url: str, wait_s: float = 20.0) -> int:
    deadline = time.monotonic() + wait_s
    problems: dict[str, str] = {}
    while time.monotonic() < deadline:
        problems = {}
        try:
            # The suite's database may not exist yet (pytest-django creates test_<name>),
            # so check the server through its always-present maintenance database.
            server_url = database_url.rsplit("/", 1)[0] + "/postgres"
            psycopg.connect(server_url, connect_timeout=3).close()
        except psycopg.Error as error:
            problems["TEST_DATABASE_URL"] = str(error).strip()
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            problems["TEST_REDIS_URL"] = str(error).strip()
        if not problems:
            return 0
        time.sleep(1)
    for name, problem in problems.items():
        print(f"{name}: the service does not answer: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
