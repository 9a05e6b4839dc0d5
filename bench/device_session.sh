#!/bin/sh
# The speed issue's GPU goals in one prepared run on a lent GPU machine (hybridvision bench device).
#
# Here, once:   sh bench/device_session.sh prepare
#               (the wheels that machine lacks, into .whl/, which git ignores: about 11 MB; the
#               working tree, about 45 MB, travels too, and the limit is 64 MiB together)
# A dry run:    DEVICE=cpu QUICK=1 PSNR_STEPS=4 PYTHON=.venv/bin/python sh bench/device_session.sh run
# There:        the device tool's run, carry [".whl"], timeout_s 540, command
#               "sh bench/device_session.sh run"; the JSON and the log come back from $OUT.
# PSNR_STEPS (default 3000) sets bench superres's same-budget training on the GPU; 0 skips it.
set -eu
WHEELS="monai==1.6.1 nibabel==5.4.2 pydicom==3.0.2 highdicom==0.28.2 pyjpegls==1.5.1 spandrel==0.4.2"

case "${1:-}" in
prepare)
    mkdir -p .git/info
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >>.git/info/exclude
    # shellcheck disable=SC2086 # one argument a wheel
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl $WHEELS
    du -sh .whl
    ;;
run)
    DEVICE=${DEVICE:-cuda}
    OUT=${OUT:-/tmp/hybridvision-device}
    mkdir -p "$OUT"
    if [ "$DEVICE" = cuda ]; then # that machine has torch, timm, scikit-image ...: the rest travels
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
        python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --target /tmp/site .
        export PYTHONPATH=/tmp/site
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$OUT/gpu.csv" || true
    fi
    set -- --device "$DEVICE" --psnr-steps "${PSNR_STEPS:-3000}" -o "$OUT/bench-device.json"
    [ -n "${QUICK:-}" ] && set -- "$@" --quick
    status=0
    "${PYTHON:-python3}" -m hybridvision.apps.cli bench device "$@" >"$OUT/bench-device.log" 2>&1 || status=$?
    cat "$OUT/bench-device.log"
    exit $status
    ;;
*)
    echo "usage: sh bench/device_session.sh prepare|run" >&2
    exit 2
    ;;
esac
