#!/usr/bin/env bash
# Makes sure the services the test suite talks to are installed and
# answering: Redis on 127.0.0.1:6379, PostgreSQL on 127.0.0.1:5432 (trust
# auth, user postgres), redis-cli for the Cluster tests, and the Firestore
# emulator with Java. Installs what is missing with apt-get (needs root) and
# starts what is stopped. Idempotent: `make test` runs it every time.
set -euo pipefail

log() { printf '[services] %s\n' "$*"; }

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_apt+=(redis-tools)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
command -v make >/dev/null 2>&1 || need_apt+=(make)
if ((${#need_apt[@]})); then
	log "installing ${need_apt[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
	log "starting redis-server on 127.0.0.1:6379"
	redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! pg_ready; then
	log "starting PostgreSQL"
	for v in $(ls /etc/postgresql 2>/dev/null); do
		pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
	done
fi

for i in $(seq 1 60); do
	if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && pg_ready; then break; fi
	sleep 1
done
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { log "Redis is not answering"; exit 1; }
pg_ready || { log "PostgreSQL is not answering"; exit 1; }
# The tests log in over loopback TCP without a password (trust auth), as
# this machine kind is set up. A fresh Debian cluster asks for one: put
# trust lines for loopback first in each cluster's pg_hba.conf and reload.
pg_login() { psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1" >/dev/null 2>&1; }
if ! pg_login; then
	log "PostgreSQL refuses a password-less login on 127.0.0.1: trusting loopback in pg_hba.conf"
	for v in $(ls /etc/postgresql 2>/dev/null); do
		hba=/etc/postgresql/$v/main/pg_hba.conf
		[ -f "$hba" ] || continue
		{ printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } >"$hba.recall" && mv "$hba.recall" "$hba"
		chown postgres:postgres "$hba" 2>/dev/null || true
		pg_ctlcluster --skip-systemctl-redirect "$v" main reload || true
	done
	sleep 1
fi
pg_login || { log "cannot log in to PostgreSQL on 127.0.0.1 as postgres without a password"; exit 1; }

# The Firestore store's tests need Google's Firestore emulator (Java 17),
# which this machine kind ships; try the Debian package where it is missing,
# and stop with a clear message rather than let those tests be skipped.
FIRESTORE_EMULATOR=/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator
if [ ! -x "$FIRESTORE_EMULATOR" ] || ! command -v java >/dev/null 2>&1; then
	log "Firestore emulator or Java missing: trying apt-get install google-cloud-cli-firestore-emulator openjdk-17-jre-headless"
	apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq google-cloud-cli-firestore-emulator openjdk-17-jre-headless >/dev/null || true
fi
if [ ! -x "$FIRESTORE_EMULATOR" ] || ! command -v java >/dev/null 2>&1; then
	log "the Firestore emulator ($FIRESTORE_EMULATOR) or Java 17 is not installed and could not be installed: the firestore tests cannot run"
	exit 1
fi

log "go $(go version | awk '{print $3}'), redis $(redis-server --version | awk '{print $3}')"

# The web app's browser tests (cmd/recall TestBrowser) drive Debian's
# chromium headless with playwright-core from web/node_modules; make
# web-check builds with esbuild from there too.
# Only what is missing is asked for: a machine may carry a nodejs of its own
# (one that bundles npm and conflicts with Debian's npm package).
need_web=()
command -v chromium >/dev/null 2>&1 || need_web+=(chromium)
command -v node >/dev/null 2>&1 || need_web+=(nodejs)
command -v npm >/dev/null 2>&1 || need_web+=(npm)
if ((${#need_web[@]})); then
	log "installing ${need_web[*]} for the web app's browser tests"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_web[@]}" >/dev/null
fi
web_dir="$(dirname "$0")/../web"
if [ ! -d "$web_dir/node_modules/playwright-core" ] || [ ! -d "$web_dir/node_modules/esbuild" ] ||
	[ "$web_dir/package-lock.json" -nt "$web_dir/node_modules/.package-lock.json" ]; then
	log "npm ci in web/"
	(cd "$web_dir" && npm ci --no-audit --no-fund --silent)
fi
log "node $(node --version), $(chromium --version 2>/dev/null | head -1)"
