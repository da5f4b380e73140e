"""Numba kernel of the triple-barrier scan (numpy in, numpy out)."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def triple_barrier_nb(open_, high, low, close, take_profit, stop_loss, horizon):
    """Scan a long entry at ``open_[t + 1]`` for every bar ``t``.

    Barriers: take-profit at ``entry * (1 + take_profit[t])``, stop-loss at ``entry * (1 - stop_loss[t])``,
    checked on the high/low of bars ``t + 1 .. t + horizon``; if both are touched in one bar the stop
    wins (we cannot know the order inside a bar, so assume the worse). A stop fills at the stop price,
    or at the bar's open when the bar gaps through it; a take-profit fills at its limit price, never
    better. With no barrier touched the trade exits at ``close[t + horizon]``.

    Returns ``(ret, exit_offset, barrier)``: the trade's simple return, the bars from ``t`` to the exit
    bar (-1 when the data ends first, or the barriers of ``t`` are NaN; ``ret`` is then NaN) and which
    barrier ended it (1 take-profit, -1 stop-loss, 0 time limit).
    """
    n = close.shape[0]
    ret = np.full(n, np.nan)
    offset = np.full(n, -1, np.int64)
    barrier = np.zeros(n, np.int64)
    for t in range(n - 1):
        if not (np.isfinite(take_profit[t]) and np.isfinite(stop_loss[t])):
            continue
        entry = open_[t + 1]
        up = entry * (1.0 + take_profit[t])
        down = entry * (1.0 - stop_loss[t])
        last = t + horizon
        for j in range(t + 1, min(last, n - 1) + 1):
            if low[j] <= down:
                ret[t] = min(open_[j], down) / entry - 1.0
                barrier[t] = -1
            elif high[j] >= up:
                ret[t] = up / entry - 1.0
                barrier[t] = 1
            elif j == last:
                ret[t] = close[j] / entry - 1.0
                barrier[t] = 0
            else:
                continue
            offset[t] = j - t
            break
    return ret, offset, barrier


@njit(cache=True, nogil=True)
def trade_outcome_nb(open_, high, low, take, stop, horizon):
    """Outcome of a long trade signalled at every bar ``t`` (see ``targets.TradeSpec``).

    Entry at ``open_[t + 1]``; stop at ``entry * (1 - stop[t])`` and target at ``entry * (1 + take[t])``,
    both live from the entry bar ``t + 1`` through bar ``t + horizon``; a bar touching both counts as the
    stop (it is checked first, as the broker checks the stop order first). A stop fills at
    ``min(open, stop price)`` and a target at ``max(open, target price)`` (a gap through either fills at the
    open, as a stop or limit order does). Untouched, the trade exits at ``open_[t + 1 + horizon]``.

    Returns ``(gross, exit_offset, barrier)``: the gross simple return, the bars from ``t`` to the exit bar
    (-1 when the data ends first or the barriers of ``t`` are NaN; ``gross`` is then NaN) and the exit kind
    (1 target, -1 stop, 0 time).
    """
    n = open_.shape[0]
    gross = np.full(n, np.nan)
    offset = np.full(n, -1, np.int64)
    barrier = np.zeros(n, np.int64)
    for t in range(n - 1):
        if not (np.isfinite(take[t]) and np.isfinite(stop[t])):
            continue
        entry = open_[t + 1]
        up = entry * (1.0 + take[t])
        down = entry * (1.0 - stop[t])
        for j in range(t + 1, min(t + 1 + horizon, n - 1) + 1):
            if j == t + 1 + horizon:
                gross[t] = open_[j] / entry - 1.0
                barrier[t] = 0
            elif low[j] <= down:
                gross[t] = min(open_[j], down) / entry - 1.0
                barrier[t] = -1
            elif high[j] >= up:
                gross[t] = max(open_[j], up) / entry - 1.0
                barrier[t] = 1
            else:
                continue
            offset[t] = j - t
            break
    return gross, offset, barrier
