#!/bin/bash
# Reference check, not a test (docs/relay.md, "The end of a session"): does babeltrace2's live
# reader end by itself when a session of LTTng's own (lttng-sessiond + consumer, UST events of
# liblttng-ust-libc-wrapper.so around `ls`) is destroyed? Usage: scripts/relay-lttng-live-check.sh [end|continue]
# Needs lttng-tools, liblttng-ust and babeltrace2; runs its own relay and session daemon on ports
# 26342-26344 and a temporary LTTNG_HOME, stopped by pid at the end.
set -u
W=$(mktemp -d); cd "$W"
export LTTNG_HOME=$W/home; mkdir -p $LTTNG_HOME
C=26342; DP=26343; L=26344
lttng-relayd -C tcp://127.0.0.1:$C -D tcp://127.0.0.1:$DP -L tcp://127.0.0.1:$L -o $W/out > relayd.log 2>&1 &
RP=$!
lttng-sessiond --no-kernel > sessiond.log 2>&1 &
SP=$!
sleep 2
S=lt$RANDOM
lttng create $S --live=500000 --set-url=net://127.0.0.1:$C:$DP
lttng enable-event -u 'lttng_ust_libc:malloc'
lttng start
for k in 1 2 3; do LD_PRELOAD=liblttng-ust-libc-wrapper.so ls > /dev/null; done
sleep 1
MODE=${1:-end}
if [ "$MODE" = end ]; then P=--params='session-not-found-action="end"'; else P=--params='session-not-found-action="continue"'; fi
timeout 20 babeltrace2 net://127.0.0.1:$L/host/$(hostname)/$S "$P" > v-$MODE.out 2> v-$MODE.err &
V1=$!
sleep 2
for k in 1 2 3 4 5; do LD_PRELOAD=liblttng-ust-libc-wrapper.so ls > /dev/null; sleep 0.3; done
sleep 1
echo destroy at $(date +%T.%N); lttng destroy $S
wait $V1; RC=$?; [ $RC = 0 ] || [ $RC = 124 ] || tail -4 v-$MODE.err; echo "viewer $MODE: rc $RC (124 = killed by timeout 20 s) at $(date +%T.%N), events $(grep -c malloc v-$MODE.out)"
echo stored $(babeltrace2 $W/out 2>/dev/null | grep -c malloc)
kill $SP $RP 2>/dev/null; sleep 1; rm -rf "$W"
