"""Champion / challenger: promote a retrained model only if no worse out of sample on the newest data."""

from __future__ import annotations

from collections.abc import Mapping

from tradeforge.errors import ModelError

__all__ = ["decide_promotion"]


def decide_promotion(challenger: Mapping[str, float], champion: Mapping[str, float] | None,
                     *, higher_is_better: Mapping[str, bool], tolerance: float = 0.0) -> tuple[bool, str]:
    """Decide whether the challenger replaces the champion.

    Both score mappings must be computed on the same, newest out-of-sample data. The challenger is
    promoted when there is no champion, or when on **every** metric of *higher_is_better* it is no worse
    than the champion (within *tolerance*, absolute).

    Returns
    -------
    (promoted, reason) : tuple of bool and str
        *reason* names the first metric where the challenger is worse, or says why it was promoted.

    Examples
    --------
    >>> decide_promotion({"auc": 0.56, "logloss": 0.69}, {"auc": 0.55, "logloss": 0.70},
    ...                  higher_is_better={"auc": True, "logloss": False})
    (True, 'challenger no worse on auc, logloss')
    >>> decide_promotion({"auc": 0.54}, {"auc": 0.55}, higher_is_better={"auc": True})
    (False, 'challenger worse on auc: 0.5400 < champion 0.5500')
    """
    if champion is None:
        return True, "no champion yet"
    for metric, higher in higher_is_better.items():
        for name, scores in (("challenger", challenger), ("champion", champion)):
            if metric not in scores or scores[metric] != scores[metric]:  # missing or NaN
                raise ModelError(f"{name} score {metric!r}: missing or NaN; expected both models scored on "
                                 "the same newest data. Re-run the evaluation.")
        new, old = float(challenger[metric]), float(champion[metric])
        worse = new < old - tolerance if higher else new > old + tolerance
        if worse:
            sign = "<" if higher else ">"
            return False, f"challenger worse on {metric}: {new:.4f} {sign} champion {old:.4f}"
    return True, "challenger no worse on " + ", ".join(higher_is_better)
