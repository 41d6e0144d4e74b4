#!/usr/bin/env bash
# install.sh: cmake --install into a DESTDIR. faas lands in the prefix's bin/ and runs, the bash
# completion in share/bash-completion/completions/, the commented faas.conf.lua in /etc/faas/
# (data_dir /var/lib/faas), never over an existing one on a second install, and the systemd unit
# (Restart=on-failure, After=docker.service, ExecReload=kill -HUP, state under /var/lib/faas),
# which passes systemd-analyze verify when the tool is there. No Docker needed.
. "$(dirname "$0")/lib.sh"

BUILD=$(cd "$(dirname "$FAAS_BIN")" && pwd)
SRC=${FAAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
D=$T_DIR/root
install_into() { DESTDIR=$D cmake --install "$BUILD" --prefix /usr >"$T_DIR/install.log" 2>&1; }

install_into
check_eq "cmake --install: exit 0" "$?" 0
check "bin/faas is there and executable" test -x "$D/usr/bin/faas"
check_contains "the installed faas runs" "$("$D/usr/bin/faas" version)" "faas "
check "the config is in /etc/faas" cmp -s "$SRC/faas.conf.lua" "$D/etc/faas/faas.conf.lua"
check "the installed config keeps its state in /var/lib/faas" grep -qx 'data_dir = "/var/lib/faas"' "$D/etc/faas/faas.conf.lua"
check "the installed config is valid" "$D/usr/bin/faas" check -c "$D/etc/faas/faas.conf.lua"
COMP=$D/usr/share/bash-completion/completions/faas
check "the bash completion is installed" test -s "$COMP"
check "the bash completion is valid bash" bash -n "$COMP"
check_contains "the bash completion names the commands" "$(cat "$COMP")" "complete -F _faas faas"

UNIT=$D/usr/lib/systemd/system/faas.service
check "the systemd unit is installed" test -s "$UNIT"
check "unit: ExecStart runs the installed faas on the installed config" \
    grep -qx 'ExecStart=/usr/bin/faas serve -c /etc/faas/faas.conf.lua' "$UNIT"
check "unit: Restart=on-failure" grep -qx 'Restart=on-failure' "$UNIT"
check "unit: After=docker.service" grep -Eq '^After=.*\bdocker\.service\b' "$UNIT"
check "unit: Wants or Requires docker.service" grep -Eq '^(Wants|Requires)=.*\bdocker\.service\b' "$UNIT"
check "unit: reload is SIGHUP" grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$UNIT"
check "unit: Type simple or notify" grep -Eqx 'Type=(simple|notify)' "$UNIT"
check "unit: the state under /var/lib/faas" grep -qx 'StateDirectory=faas' "$UNIT"
check "unit: HOME (the passfile's ~) is the state folder" grep -qx 'Environment=HOME=/var/lib/faas' "$UNIT"

# A second install keeps an operator's configuration, and still updates the rest.
echo '-- the operator was here' >>"$D/etc/faas/faas.conf.lua"
rm "$D/usr/bin/faas"
install_into
check_eq "second install: exit 0" "$?" 0
check "second install: the configuration is not overwritten" grep -qx -- '-- the operator was here' "$D/etc/faas/faas.conf.lua"
check_contains "second install: it says so" "$(cat "$T_DIR/install.log")" "Keeping: $D/etc/faas/faas.conf.lua"
check "second install: the binary is back" test -x "$D/usr/bin/faas"

if command -v systemd-analyze >/dev/null 2>&1; then
    # verify looks the binary up on this machine: point ExecStart at the DESTDIR copy.
    sed "s|/usr/bin/faas|$D/usr/bin/faas|" "$UNIT" >"$T_DIR/faas.service"
    out=$(systemd-analyze verify --man=no --recursive-errors=no "$T_DIR/faas.service" 2>&1)
    check_eq "systemd-analyze verify passes (output: ${out:-none})" "$?" 0
else
    echo "skip systemd-analyze verify: systemd-analyze is not installed"
fi
t_done
