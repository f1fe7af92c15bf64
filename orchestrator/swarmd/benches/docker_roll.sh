#!/bin/sh
# Docker's own swarm mode doing the work of the `services` bench's stop-first rolling-update
# row (`cargo bench -p swarmd --bench services`, SWARMD_BENCH_ONLY=update), for a side-by-side
# number: one node on this machine's daemon, 100 replicas of the SIGTERM-ignoring test image
# (built by that bench: swarm-test/web:stubborn-v1/-v2), --stop-grace-period 2s,
# --update-parallelism 10, delay 0, monitor 500 ms, stop-first. Prints the time from
# `service update` to UpdateStatus "completed" and the most containers seen running at once.
#
# It runs `docker swarm init` and always `docker swarm leave --force` at the end, and refuses
# to start unless the daemon's swarm is inactive (it leaves the daemon as it found it).
# Usage: sh orchestrator/swarmd/benches/docker_roll.sh   (REPLICAS=N to change the count;
# FROM=swarm-test/web:v1 TO=swarm-test/web:v2 for the bench's first row, images that stop at once)
set -eu

replicas=${REPLICAS:-100}
from=${FROM:-swarm-test/web:stubborn-v1}
to=${TO:-swarm-test/web:stubborn-v2}
name=swarmd-bench-docker-roll
state=$(docker info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" != inactive ]; then
    echo "docker swarm is '$state' on this daemon: not touching it" >&2
    exit 2
fi
for image in "$from" "$to"; do
    docker image inspect "$image" >/dev/null 2>&1 || {
        echo "$image missing: run the services bench first" >&2
        exit 2
    }
done
addr=$(hostname -I | awk '{print $1}')
# `swarm init` makes the docker_gwbridge network, which `swarm leave` keeps: remove it again
# when it was not there before.
had_gwbridge=$(docker network ls -q --filter name='^docker_gwbridge$')
cleanup() {
    docker swarm leave --force >/dev/null 2>&1 || true
    if [ -z "$had_gwbridge" ]; then
        docker network rm docker_gwbridge >/dev/null 2>&1 || true
    fi
}
docker swarm init --advertise-addr "$addr" >/dev/null
trap cleanup EXIT INT TERM

running() {
    docker ps -q --filter "label=com.docker.swarm.service.name=$name" | wc -l
}

docker service create --detach --quiet --name "$name" --replicas "$replicas" \
    --stop-grace-period 2s --update-parallelism 10 --update-delay 0s \
    --update-monitor 500ms --update-order stop-first --endpoint-mode dnsrr \
    --no-resolve-image "$from" >/dev/null
until [ "$(running)" -ge "$replicas" ]; do sleep 0.5; done

start=$(date +%s.%N)
docker service update --detach --quiet --no-resolve-image \
    --image "$to" "$name" >/dev/null
most=0
while :; do
    n=$(running)
    [ "$n" -gt "$most" ] && most=$n
    st=$(docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$name")
    case "$st" in completed | paused | rollback_completed) break ;; esac
    sleep 0.1
done
end=$(date +%s.%N)
echo "docker swarm mode: rolling update $replicas replicas $from -> $to, par 10, grace 2 s, stop-first: $st in $(echo "$end - $start" | bc) s"
echo "  most containers running at once: $most"
docker service rm "$name" >/dev/null
