#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 (trust auth for
# the local user postgres): start the machine's cluster if it is down, or
# install PostgreSQL from Debian's packages when there is none.
set -euo pipefail

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}

ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if command -v pg_isready >/dev/null && ready; then
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "pg-up: PostgreSQL not installed; installing it from Debian's packages" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "pg-up: need root (or sudo) to install postgresql; install it yourself or set WIREWATCH_TEST_DATABASE_URL" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  conf=/etc/postgresql/$ver/main
  # trust for local connections: this is a development and test server.
  sed -i -E 's/^(local|host)(\s+all\s+all\s+.*\s)(peer|scram-sha-256|md5)$/\1\2trust/' "$conf/pg_hba.conf"
  sed -i -E 's/^(local\s+all\s+postgres\s+)peer$/\1trust/' "$conf/pg_hba.conf"
fi

ver=$(ls /etc/postgresql | sort -V | tail -1)
echo "pg-up: starting PostgreSQL $ver" >&2
pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
for _ in $(seq 1 60); do
  if ready; then exit 0; fi
  sleep 0.5
done
echo "pg-up: PostgreSQL did not come up on $host:$port" >&2
exit 1
