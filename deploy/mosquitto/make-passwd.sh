#!/bin/sh
# Build Mosquitto's password file from the environment, so that no password is ever committed.
#
# Runs as the one-shot `mosquitto-init` service of docker-compose.yml (eclipse-mosquitto:2 image, busybox
# sh) before the broker starts, writing into the volume the broker reads. Also usable on any machine
# with mosquitto_passwd installed:
#     MQTT_SERVICE_PASSWORD=... sh deploy/mosquitto/make-passwd.sh /tmp/passwd
#
# Inputs (environment):
#   MQTT_SERVICE_PASSWORD    required: password of the user `telecare-service` (the service itself)
#   MQTT_SIMULATOR_PASSWORD  optional: password of the user `telecare-simulator` (demo/development only).
#                            Empty or unset: no simulator user, which is what production wants.
#   MQTT_HUBS_FILE           optional: file of `hub-id:password` lines, one per hub (the hub id is the
#                            MQTT user name; the ACL lets it publish only under telecare/<hub-id>/#).
#                            Blank lines and lines starting with # are skipped. Default /run/hubs/hubs.txt;
#                            a missing file means no hub users yet.
#   MQTT_PASSWD_FILE         where to write; default /mosquitto/secrets/passwd. The first argument wins.
#
# Refuses (exit 1, nothing written) an empty or short password (< 16 characters), a malformed hub id, a
# hub id taken twice or by one of the service users. The file is replaced atomically, so a broker
# reloading it never reads half a file. After changing passwords while the broker runs, reload it:
#     docker compose up mosquitto-init && docker compose kill -s HUP mosquitto
#
# Note: `mosquitto_passwd -b` takes the password as an argument, so it is visible in the process list of
# this short-lived container while it runs.
set -eu

MIN_LENGTH=16
SERVICE_USER=telecare-service
SIMULATOR_USER=telecare-simulator
out="${1:-${MQTT_PASSWD_FILE:-/mosquitto/secrets/passwd}}"
hubs_file="${MQTT_HUBS_FILE:-/run/hubs/hubs.txt}"

fail() {
    echo "make-passwd: $*" >&2
    exit 1
}

check_password() { # user password
    [ -n "$2" ] || fail "empty password for MQTT user '$1'"
    [ "${#2}" -ge "$MIN_LENGTH" ] || fail "password for MQTT user '$1' is shorter than $MIN_LENGTH characters"
}

service_password="${MQTT_SERVICE_PASSWORD:-}"
[ -n "$service_password" ] || fail "MQTT_SERVICE_PASSWORD is empty or unset: refusing to build a password file"
check_password "$SERVICE_USER" "$service_password"
simulator_password="${MQTT_SIMULATOR_PASSWORD:-}"
[ -z "$simulator_password" ] || check_password "$SIMULATOR_USER" "$simulator_password"

out_dir=$(dirname "$out")
mkdir -p "$out_dir"
# From here on, files are created private (0600); the finished file is opened up to its group below.
# (mosquitto_passwd 2.0.16+ also warns about a world-readable file.)
umask 077
tmp="$out_dir/.passwd.$$"
trap 'rm -f "$tmp"' EXIT

mosquitto_passwd -c -b "$tmp" "$SERVICE_USER" "$service_password"
users="$SERVICE_USER"
if [ -n "$simulator_password" ]; then
    mosquitto_passwd -b "$tmp" "$SIMULATOR_USER" "$simulator_password"
    users="$users $SIMULATOR_USER"
    echo "make-passwd: added $SIMULATOR_USER (demo/development only: do not set MQTT_SIMULATOR_PASSWORD in production)"
fi

hubs=0
if [ -f "$hubs_file" ]; then
    line_no=0
    # `|| [ -n "$line" ]` keeps a last line that has no newline.
    while IFS= read -r line || [ -n "$line" ]; do
        line_no=$((line_no + 1))
        line=$(printf '%s' "$line" | tr -d '\r')
        case "$line" in
            '' | '#'*) continue ;;
            *:*) ;;
            *) fail "$hubs_file:$line_no: expected 'hub-id:password'" ;;
        esac
        hub="${line%%:*}"
        password="${line#*:}"
        # The hub id becomes a topic level through the ACL's %u: no '/', '+', '#'; and Mosquitto user
        # names cannot hold ':'. Same alphabet as household ids otherwise.
        printf '%s\n' "$hub" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' ||
            fail "$hubs_file:$line_no: hub id '$hub' must be letters, digits and '_.-' (at most 64)"
        for taken in $users; do
            [ "$hub" != "$taken" ] || fail "$hubs_file:$line_no: user '$hub' appears twice or is reserved"
        done
        check_password "$hub" "$password"
        mosquitto_passwd -b "$tmp" "$hub" "$password"
        users="$users $hub"
        hubs=$((hubs + 1))
    done <"$hubs_file"
else
    echo "make-passwd: no $hubs_file: no hub users (only the service and simulator users)"
fi

# The broker drops root and runs as the user `mosquitto`: it must be able to read the file (and to
# re-read it on reload). Nobody else needs to.
chmod 0640 "$tmp"
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto:mosquitto "$tmp"
fi
mv -f "$tmp" "$out"
trap - EXIT
echo "make-passwd: wrote $out ($hubs hub user(s))"
