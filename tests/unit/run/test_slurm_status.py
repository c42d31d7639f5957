"""A cancelled SLURM job is a failed job to the SLURM plugin (sovereign.run.slurm_status); the
real-SLURM test (tests/workflow/test_slurm.py) cancels one mid-run."""

import asyncio
import importlib
import inspect
import sys

from sovereign.run import slurm_status


def test_cancelled_by_a_user_reads_as_cancelled():
    states = {"1": "CANCELLED by 0", "2": "COMPLETED", "3": "CANCELLED", "4": "RUNNING"}
    assert slurm_status.normalised(states) == {
        "1": "CANCELLED",
        "2": "COMPLETED",
        "3": "CANCELLED",
        "4": "RUNNING",
    }
    assert slurm_status.normalised(None) is None


def test_the_pinned_plugin_gets_the_normalised_states(monkeypatch):
    plugin = importlib.import_module(slurm_status.PLUGIN)
    failed = plugin.query_job_status  # what the plugin's status loop awaits
    # what the normalisation relies on: the plugin fails a job whose state is exactly CANCELLED
    source = inspect.getsource(plugin.Executor.check_active_jobs)
    assert '"CANCELLED",' in source and "elif status in fail_stati:" in source

    async def answer(command, logger):
        return {"7": "CANCELLED by 1000"}, 0.01

    monkeypatch.setattr(plugin, "query_job_status", answer)
    assert slurm_status.treat_cancelled_jobs_as_failed()
    assert slurm_status.treat_cancelled_jobs_as_failed()  # once: not wrapped twice
    wrapped = plugin.query_job_status
    assert wrapped is not answer and getattr(wrapped, slurm_status._MARK)
    assert asyncio.run(wrapped("sacct ...", None)) == ({"7": "CANCELLED"}, 0.01)
    monkeypatch.setattr(plugin, "query_job_status", failed)


def test_nothing_changes_without_the_plugin_or_for_another_version(monkeypatch):
    monkeypatch.delitem(sys.modules, slurm_status.PLUGIN, raising=False)
    assert not slurm_status.treat_cancelled_jobs_as_failed()
    plugin = importlib.import_module(slurm_status.PLUGIN)
    before = plugin.query_job_status
    monkeypatch.setattr(slurm_status, "PLUGIN_VERSION", "0.0.1")
    assert not slurm_status.treat_cancelled_jobs_as_failed()
    assert plugin.query_job_status is before
