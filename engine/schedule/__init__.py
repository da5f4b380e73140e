"""The trading day: exchange-calendar sessions, APScheduler triggers, and the jobs they run.

Public names: :class:`MarketCalendar` (XNYS sessions, early closes, holidays), :class:`ScheduleConfig`,
the :class:`TradingDay` protocol the live runner implements, :class:`RetrainOutcome`,
:func:`decide_promotion` (champion / challenger), :class:`Dispatcher` (what runs when, with an injected
clock), :func:`build_scheduler` (APScheduler 3 in America/New_York), :func:`replay` and :class:`SimClock`
(simulated time through the same triggers), :class:`SummaryNumbers` / :func:`format_summary`, and
:func:`configure_json_logs`. exchange-calendars and APScheduler are imported only when used.
"""

from .calendar import NEW_YORK, MarketCalendar
from .dispatcher import Dispatcher
from .jobs import DAILY_JOBS, JOBS, JobRun, RetrainOutcome, ScheduleConfig, TradingDay
from .logs import JsonLinesFormatter, configure_json_logs, job_context
from .promotion import decide_promotion
from .replay import SimClock, fire_times, replay
from .retrain import Retrainer, champion_version
from .runtime import build_scheduler, job_options, job_triggers
from .summary import SummaryNumbers, format_summary

__all__ = ["NEW_YORK", "MarketCalendar", "Dispatcher", "DAILY_JOBS", "JOBS", "JobRun", "RetrainOutcome",
           "ScheduleConfig", "TradingDay", "JsonLinesFormatter", "configure_json_logs", "job_context",
           "decide_promotion", "Retrainer", "champion_version", "SimClock", "fire_times", "replay",
           "build_scheduler", "job_options", "job_triggers", "SummaryNumbers", "format_summary"]
