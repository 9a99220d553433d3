"""The JUnit XML report: one test case per call, for CI test views."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ringback.simulator.evaluate import CallEvaluation, RunEvaluation


def case_name(call: CallEvaluation) -> str:
    """`<scenario_id>[<attempt>]`."""
    return f"{call.scenario_id}[{call.attempt}]"


def _verdict(passed: bool | None, error: bool) -> str:
    if error:
        return "ERROR"
    return "SKIP" if passed is None else "pass" if passed else "FAIL"


def _skipped(call: CallEvaluation) -> list[str]:
    return [f"{a.kind}: {a.reason}" for a in call.assertions if a.skipped]


def _case(suite: str, call: CallEvaluation) -> ET.Element:
    case = ET.Element("testcase", name=case_name(call), classname=suite)
    reasons = call.failure_reasons()
    if call.status == "failed":
        failure = ET.SubElement(case, "failure", message=reasons[0] if reasons else "failed")
        failure.set("type", "AssertionFailed")
        failure.text = "\n".join(reasons)
    elif call.status == "error":
        errors = call.error_reasons()
        error = ET.SubElement(case, "error", message=errors[0] if errors else "not evaluated")
        error.set("type", "JudgeError")
        error.text = "\n".join(errors)
    skipped = _skipped(call)
    lines = [f"result_id: {call.result_id}", f"linked: {call.linked}"]
    lines += [f"{_verdict(a.passed, a.error)} {a.kind}: {a.reason}" for a in call.assertions]
    if skipped:
        lines.append("skipped (not counted as passed): " + "; ".join(skipped))
    ET.SubElement(case, "system-out").text = "\n".join(lines)
    return case


def render_junit(evaluation: RunEvaluation) -> str:
    """`<testsuites>` holding one `<testsuite>` (the suite), one `<testcase>` per call. A call
    fails with its failure reasons; a call the judge could not evaluate (an LLM error or
    timeout) is an `<error>`, not a failure; a call that only has skipped checks (no judge)
    passes and its skipped checks are noted in `system-out` (it was not skipped as a whole). Valid
    against the Jenkins `junit-10.xsd` (the schema CI test views read)."""
    failures = len(evaluation.failed_calls)
    counts = {
        "tests": str(evaluation.total),
        "failures": str(failures),
        "errors": str(evaluation.errors),
    }
    root = ET.Element("testsuites", {"name": evaluation.suite, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": evaluation.suite, **counts, "skipped": "0"})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="run_id", value=evaluation.run_id)
    rate = evaluation.pass_rate
    ET.SubElement(props, "property", name="pass_rate", value="" if rate is None else f"{rate:.4f}")
    for call in evaluation.calls:
        suite.append(_case(evaluation.suite, call))
    ET.SubElement(suite, "system-out").text = f"run {evaluation.run_id}"
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
