#!/usr/bin/env bash
# LocalStack for the pipeline: ./run.sh up | down | status | logs
#   up      start LocalStack (pinned 4.14.0, no auth token needed) and wait until its services are ready
#   down    stop and remove it
#   status  show the container and LocalStack's service health
#   logs    follow LocalStack's logs
# Env: LOCALSTACK_PORT (4566), SERVICES, LOCALSTACK_IMAGE, LOCALSTACK_AUTH_TOKEN, HEALTH_TIMEOUT (120 s).
set -euo pipefail
cd "$(dirname "$0")"

PORT="${LOCALSTACK_PORT:-4566}"
HEALTH_URL="http://127.0.0.1:${PORT}/_localstack/health"

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose "$@"
  else
    echo "neither 'docker compose' nor 'docker-compose' is installed: install Docker (https://docs.docker.com/get-docker/)" >&2
    exit 1
  fi
}

need_docker() {
  command -v docker >/dev/null 2>&1 || { echo "docker is not installed: https://docs.docker.com/get-docker/" >&2; exit 1; }
  docker info >/dev/null 2>&1 || { echo "the Docker engine is not running (docker info failed); start Docker and retry" >&2; exit 1; }
}

health() {
  curl -fsS --max-time 2 "$HEALTH_URL" 2>/dev/null
}

# Ready when every requested service is "available" or "running".
wait_healthy() {
  local timeout="${HEALTH_TIMEOUT:-120}" waited=0 services body missing
  services="${SERVICES:-s3,kinesis,firehose,lambda,iam,sts,logs,cloudwatch,dynamodb}"
  printf 'waiting for LocalStack at %s ' "$HEALTH_URL"
  while :; do
    if body="$(health)"; then
      missing=""
      for s in ${services//,/ }; do
        echo "$body" | grep -Eq "\"$s\": *\"(available|running)\"" || missing="$missing $s"
      done
      if [ -z "$missing" ]; then
        echo " ready"
        return 0
      fi
    fi
    if [ "$waited" -ge "$timeout" ]; then
      echo
      echo "LocalStack was not ready after ${timeout}s (waiting for:${missing:- the health endpoint}); see: $0 logs" >&2
      return 1
    fi
    printf '.'
    sleep 2
    waited=$((waited + 2))
  done
}

case "${1:-}" in
  up)
    need_docker
    compose up -d
    wait_healthy
    echo "LocalStack is up: http://localhost:${PORT} (next: npm run deploy:local, npm run ship -- FILE, npm run verify -- --endpoint http://localhost:${PORT})"
    ;;
  down)
    need_docker
    compose down --remove-orphans
    ;;
  status)
    need_docker
    compose ps
    if body="$(health)"; then echo "$body"; else echo "LocalStack is not answering at $HEALTH_URL"; exit 1; fi
    ;;
  logs)
    need_docker
    compose logs -f --tail=200
    ;;
  *)
    echo "usage: $0 up|down|status|logs" >&2
    exit 2
    ;;
esac
