"""The performance gate's floors: the least speed-up over the numpy reference that CI accepts.

Each floor is fastnn's speed-up over ``fastnn.reference`` on a quick workload: the median, over
the interleaved rounds of the workload's ``[gate]`` test, of the reference's time divided by
fastnn's in the same round (see ``bench/WORKLOADS.md``). A floor is set far below what
fastnn measures, so that a busy or slow machine does not trip it, and far above what a real
regression gives: with the kernels replaced by the reference (or a kernel run as Python, or a
recompile on every call) every ratio drops to about 1 or below.

Measured on a shared, busy 2-core Xeon (load average 2-8), November 2026, before the per-step
kernel tuning, over six runs: W1 181-304x, W2 75-165x, W3 42-87x, W4 1.45-3.0x,
W6 2.3-5.2x. After that tuning, on the same machine quieter (load about 1): W1 254-304x,
W2 104-148x, W3 440-587x, W4 1.8-2.7x, W6 4.2-7.8x. The floors sit at a quarter to a half of
the lowest of those, so that a loaded CI machine passes while a kernel that falls back to
Python, recompiles per call, or starts counting references on every step (2-5x slower on the
small workloads) fails. Raise a floor only from measurements on a quiet machine, and keep it
well under them.
"""

#: workload -> least accepted speed-up of fastnn over the numpy reference
FLOORS = {
    "W1": 60.0,  # per-sample SGD on the 2-2-1 network: per-step overhead
    "W2": 30.0,  # full-batch GD on the 3-4-1 network
    "W3": 100.0,  # the 1-input perceptron
    # 64-128-64-10 with batches of 32: both sides spend most of their time in BLAS, so the
    # ratio is small and this floor mainly catches a fallback to Python or a recompile
    "W4": 1.3,
    "W6": 1.5,  # one-row predict on the W4 network (a recompile per call is far below 1)
}

#: workloads whose fastnn benchmark records Numba runtime allocations at two step counts
ALLOCATION_CHECKS = ("W1", "W4")
