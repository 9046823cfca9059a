"""Sinks: per-runtime state in the stash, a raising sink disabled without losing the record
elsewhere, and the background writer flushing at exit, even after the caller crashed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import attrs
import pytest

from empathy_core import Empathy, EmpathyConfig, PluginsConfig, StashKey, hookimpl
from empathy_testing.sample_workflows import ThreeTierWorkflow


@attrs.define
class ListSettings:
    tag: str = "default"


class ListSink:
    """A sink plugin keeping its records in the runtime's stash, built from its settings."""

    KEY = StashKey[list]("list-sink")

    @hookimpl
    def empathy_register_settings(self, register):
        register(ListSettings)

    @hookimpl
    def empathy_configure(self, empathy):
        empathy.stash[self.KEY] = [empathy.settings(ListSettings).tag]

    @hookimpl
    def empathy_record_usage(self, empathy, record):
        empathy.stash[self.KEY].append(record.stage)


def runtime(tag: str, *plugins) -> Empathy:
    config = EmpathyConfig(plugins=PluginsConfig(settings={"ListSink": {"tag": tag}}))
    config.telemetry.enabled = False
    import empathy_testing.plugin as testing

    empathy = Empathy(config, plugins=[ListSink(), *plugins])
    empathy.add_plugin(testing, "testing")
    return empathy.configure()


def run(empathy: Empathy):
    import asyncio

    result = asyncio.run(ThreeTierWorkflow(empathy=empathy, provider_name="mock").execute({"topic": "x"}))
    empathy.flush()
    return result


def test_each_runtime_keeps_its_own_sink_state():
    one, two = runtime("one"), runtime("two")
    assert run(one).succeeded
    assert one.stash[ListSink.KEY] == ["one", "scan", "analyse", "summarise"]
    assert two.stash[ListSink.KEY] == ["two"]
    one.close()
    two.close()


def test_a_raising_sink_is_disabled_and_the_others_still_get_every_record():
    class Raises:
        @hookimpl
        def empathy_record_usage(self, record):
            raise OSError("disk full")

    empathy = runtime("kept", Raises())
    with pytest.warns(
        UserWarning, match=r"plugin 'Raises' failed in empathy_record_usage: OSError: disk full"
    ):
        result = run(empathy)
    assert result.succeeded, result.error  # a sink never fails the run
    assert empathy.stash[ListSink.KEY] == ["kept", "scan", "analyse", "summarise"]
    assert empathy.infos["Raises"].status == "failed"
    empathy.close()


def test_pending_records_are_written_at_exit_even_when_the_caller_crashed(tmp_path):
    out = tmp_path / "records.txt"
    script = textwrap.dedent(
        f"""
        import time
        from empathy_core import Empathy, EmpathyConfig, UsageRecord, Usage, hookimpl

        class SlowSink:
            @hookimpl
            def empathy_record_usage(self, record):
                time.sleep(0.002)
                with open({str(out)!r}, "a") as handle:
                    handle.write(record.stage + "\\n")

        config = EmpathyConfig()
        config.telemetry.enabled = False
        empathy = Empathy(config, plugins=[SlowSink()])
        Empathy.set_current(empathy)
        for i in range(200):
            empathy.record_usage(UsageRecord("w", f"s{{i}}", "cheap", "p", "m", Usage(), 0.0))
        raise RuntimeError("the caller crashed")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "the caller crashed" in done.stderr
    assert out.read_text().split() == [f"s{i}" for i in range(200)]
